/**
 * The retrieval-augmented chat function running locally as deployed: the REAL `entry/rag-chat` module (real
 * Bedrock Agent Runtime, Bedrock Runtime and DynamoDB clients) configured by the environment the construct
 * sets, against embedded dynalite and the project's Bedrock emulator (Retrieve and ConverseStream on one port),
 * behind the Function-URL-like server. Built on local-services.ts (environment, HTTP helpers).
 */
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { identifyCaller } from '../../lambdas/chat/auth/iam-authenticator';
import { type BedrockEmulator, type BedrockEmulatorOptions, type EmulatorPassage, startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { createRateLimitTable } from '../../tools/local/dynamo';
import { type FunctionUrlIamIdentity, type FunctionUrlServer, LOCAL_IAM_IDENTITY } from '../../tools/local/function-url-server';
import type { LocalJwtIssuer } from '../../tools/local/jwt-issuer';
import {
  BASE_ENV,
  jwtAuthEnvironment,
  loadEntry,
  type ServeOptions,
  serveHandler,
  setEnv,
  startLocalDynamo,
  TEST_MODELS,
  TEST_RATE_LIMIT_NAMESPACE,
} from './local-services';

type RagEntryModule = typeof import('../../lambdas/chat/entry/rag-chat');

/** A well-formed knowledge base id (10 letters or digits). */
export const TEST_KNOWLEDGE_BASE_ID = 'KBTEST0001';

export interface RagStackOptions extends ServeOptions {
  /** Callers authenticate with tokens of this issuer (`CHAT_AUTH_MODE=jwt`, a public URL); default IAM. */
  readonly jwtIssuer?: LocalJwtIssuer;
  /** `KNOWLEDGE_BASE_REGION` (an imported knowledge base in another region); default unset. */
  readonly knowledgeBaseRegion?: string;
  readonly requestsPerMinute?: number;
  readonly numberOfResults?: number;
  readonly minScore?: number;
  readonly fallbackAnswer?: string;
  readonly systemPrompt?: string;
  readonly maxTokens?: number;
  readonly models?: Record<string, string>;
  /** Retrieve results of {@link TEST_KNOWLEDGE_BASE_ID}; default the emulator's canned passages. */
  readonly passages?: readonly EmulatorPassage[];
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host'>;
  /** More of the function's environment (e.g. `CHAT_GUARDRAIL_*`). */
  readonly environment?: Record<string, string>;
}

export interface RagStack {
  readonly url: string;
  readonly emulator: BedrockEmulator;
  readonly server: FunctionUrlServer;
  readonly entry: RagEntryModule;
  readonly tableName: string;
  /** Requests the rate limiter counted for `identity` (the server's default caller), over every window. */
  countedRequests(identity?: FunctionUrlIamIdentity): Promise<number>;
  /** Every item of the rate-limit table (request counters and budget days). */
  rateLimitItems(): Promise<Array<Record<string, AttributeValue>>>;
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startRagChatStack(options: RagStackOptions = {}): Promise<RagStack> {
  const restoreBaseEnv = setEnv(BASE_ENV);
  const emulator = await startBedrockEmulator({
    port: 0,
    knownKnowledgeBases: [TEST_KNOWLEDGE_BASE_ID],
    ...(options.passages ? { passages: { [TEST_KNOWLEDGE_BASE_ID]: options.passages } } : {}),
    ...options.emulator,
  });
  const dynamo = await startLocalDynamo();
  const tableName = `rag-rate-limits-${process.pid}-${++tableCounter}`;
  await createRateLimitTable(dynamo.admin, tableName);

  const { entry, restoreEnv } = await loadEntry('rag-chat', {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    CHAT_MODELS: JSON.stringify(options.models ?? TEST_MODELS),
    CHAT_MAX_TOKENS: String(options.maxTokens ?? 1024),
    CHAT_SYSTEM_PROMPT: options.systemPrompt,
    RATE_LIMIT_TABLE_NAME: tableName,
    RATE_LIMIT_PER_MINUTE: String(options.requestsPerMinute ?? 1000),
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: TEST_RATE_LIMIT_NAMESPACE,
    ...(options.jwtIssuer ? jwtAuthEnvironment(options.jwtIssuer) : { CHAT_AUTH_MODE: 'iam' }),
    KNOWLEDGE_BASE_ID: TEST_KNOWLEDGE_BASE_ID,
    KNOWLEDGE_BASE_REGION: options.knowledgeBaseRegion,
    RETRIEVAL_RESULTS: String(options.numberOfResults ?? 5),
    RETRIEVAL_MIN_SCORE: String(options.minScore ?? 0.4),
    RETRIEVAL_FALLBACK_ANSWER: options.fallbackAnswer,
    ...options.environment,
  });
  const server = await serveHandler(entry.handler, options.jwtIssuer ? { identity: null, ...options } : options);

  return {
    url: server.url,
    emulator,
    server,
    entry,
    tableName,
    countedRequests: async (identity = LOCAL_IAM_IDENTITY) => {
      const { keyHash } = identifyCaller({ requestContext: { authorizer: { iam: identity } } });
      const { Items = [] } = await dynamo.admin.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: 'begins_with(pk, :caller)',
          ExpressionAttributeValues: { ':caller': { S: `${TEST_RATE_LIMIT_NAMESPACE}#${keyHash}#` } },
        }),
      );
      return Items.reduce((sum, item) => sum + Number(item.requests?.N ?? 0), 0);
    },
    rateLimitItems: async () => (await dynamo.admin.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [],
    close: async () => {
      await server.close();
      await emulator.close();
      await dynamo.close();
      restoreEnv();
      restoreBaseEnv();
    },
  };
}
