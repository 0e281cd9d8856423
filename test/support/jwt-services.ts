/**
 * A JWT-mode chat function running locally as deployed: the REAL entry module (entry/stored-model-chat.ts or
 * entry/stored-agent-chat.ts, real AWS SDK clients, real jose) configured by the environment the construct sets,
 * with a local token issuer serving its JWKS on 127.0.0.1, dynalite behind a recording proxy (rate-limit
 * and history tables), the Bedrock emulator, and the Function-URL-like server in front (auth NONE: no
 * authorizer in the events).
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type BedrockEmulator, type BedrockEmulatorOptions, startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { createHistoryTable, createRateLimitTable } from '../../tools/local/dynamo';
import type { FunctionUrlServer } from '../../tools/local/function-url-server';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../tools/local/jwt-issuer';
import { type DynamoRecorder, startDynamoRecorder } from './dynamo-recorder';
import {
  BASE_ENV,
  type ChatHttpResponse,
  jwtAuthEnvironment,
  loadEntry,
  postChat,
  serveHandler,
  setEnv,
  startLocalDynamo,
  TEST_MODELS,
  TEST_RATE_LIMIT_NAMESPACE,
} from './local-services';

export const TEST_AGENT = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' };

export interface JwtChatStackOptions {
  readonly backend?: 'model' | 'agent';
  readonly requestsPerMinute?: number;
  readonly historyTurns?: number;
  readonly maxTokens?: number;
  readonly requiredClaims?: readonly string[];
  readonly cognitoTokenUse?: 'id' | 'access' | 'any';
  /** Point the function's JWKS here instead of the issuer's (e.g. a closed port). */
  readonly jwksUri?: string;
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host'>;
  /** The function timeout. @default 30_000 */
  readonly timeoutMs?: number;
  /** More of the function's environment (e.g. `CHAT_GUARDRAIL_*`). */
  readonly environment?: Record<string, string>;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly sse?: boolean;
}

export interface JwtChatStack {
  readonly url: string;
  readonly emulator: BedrockEmulator;
  readonly issuer: LocalJwtIssuer;
  /** Every DynamoDB call the function made. */
  readonly dynamo: DynamoRecorder;
  readonly tables: { readonly rateLimit: string; readonly history: string };
  readonly server: FunctionUrlServer;
  /** The entry's handler (to serve it again, e.g. with a shorter timeout). */
  readonly handler: unknown;
  /** Talks to dynalite directly (not recorded): for setting up and inspecting tables. */
  readonly admin: DynamoDBClient;
  /** A valid token for `sub` (and `email`), 1 h, signed with the issuer's current key. */
  token(sub: string, claims?: Record<string, unknown>): Promise<string>;
  request(method: string, path: string, options?: RequestOptions): Promise<ChatHttpResponse>;
  /** Every item of a table (admin Scan). */
  scan(table: string): Promise<Array<Record<string, AttributeValue>>>;
  close(): Promise<void>;
}

let counter = 0;

export async function startJwtChatStack(options: JwtChatStackOptions = {}): Promise<JwtChatStack> {
  const backend = options.backend ?? 'model';
  const restoreBaseEnv = setEnv(BASE_ENV);
  const issuer = await startLocalJwtIssuer();
  const emulator = await startBedrockEmulator({ port: 0, ...options.emulator });
  const dynalite = await startLocalDynamo();
  const { admin } = dynalite;
  const dynamo = await startDynamoRecorder(dynalite.url);
  const suffix = `${process.pid}-${++counter}`;
  const tables = { rateLimit: `chat-rate-limits-${suffix}`, history: `chat-history-${suffix}` };
  await createRateLimitTable(admin, tables.rateLimit);
  await createHistoryTable(admin, tables.history);

  let loaded: Awaited<ReturnType<typeof loadEntry<'stored-model-chat' | 'stored-agent-chat'>>>;
  try {
    loaded = await loadEntry(backend === 'model' ? 'stored-model-chat' : 'stored-agent-chat', {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
      CHAT_MODELS: backend === 'model' ? JSON.stringify(TEST_MODELS) : undefined,
      AGENT_ID: backend === 'agent' ? TEST_AGENT.agentId : undefined,
      AGENT_ALIAS_ID: backend === 'agent' ? TEST_AGENT.agentAliasId : undefined,
      CHAT_MAX_TOKENS: String(options.maxTokens ?? 1024),
      RATE_LIMIT_TABLE_NAME: tables.rateLimit,
      RATE_LIMIT_PER_MINUTE: String(options.requestsPerMinute ?? 1000),
      RATE_LIMIT_FAIL_OPEN: 'false',
      RATE_LIMIT_NAMESPACE: TEST_RATE_LIMIT_NAMESPACE,
      HISTORY_TABLE_NAME: tables.history,
      HISTORY_TURNS: String(options.historyTurns ?? 10),
      ...jwtAuthEnvironment(issuer, options),
      ...options.environment,
    });
  } catch (error) {
    restoreBaseEnv();
    throw error;
  }
  const { entry, restoreEnv } = loaded;
  const server = await serveHandler(entry.handler, { identity: null, timeoutMs: options.timeoutMs });

  return {
    url: server.url,
    emulator,
    issuer,
    dynamo,
    tables,
    server,
    handler: entry.handler,
    admin,
    token: (sub, claims = {}) => issuer.sign({ sub, email: `${sub}@example.com`, ...claims }),
    request: (method, path, { token, body, headers = {}, sse = false } = {}) =>
      postChat(new URL(path, server.url).toString(), body, {
        method,
        headers: {
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
          ...(sse ? { accept: 'text/event-stream' } : {}),
          ...headers,
        },
      }),
    scan: async (table) => {
      const items: Array<Record<string, AttributeValue>> = [];
      let startKey: Record<string, AttributeValue> | undefined;
      for (let page = 0; page < 1000; page++) {
        const { Items = [], LastEvaluatedKey } = await admin.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        items.push(...Items);
        if (!LastEvaluatedKey) return items;
        startKey = LastEvaluatedKey;
      }
      throw new Error('scan did not finish');
    },
    close: async () => {
      await server.close();
      await emulator.close();
      await dynamo.close();
      await dynalite.close();
      await issuer.close();
      restoreEnv();
      restoreBaseEnv();
    },
  };
}
