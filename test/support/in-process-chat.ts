/**
 * Every chat handler built in-process from its real configuration loader, real authenticators and real request
 * handling, with in-process stand-ins only where a request would leave the function: Bedrock (a stream of one
 * answer), the knowledge base (one passage), the agent (one chunk) and DynamoDB (counts of 1, no stored chat, the
 * one API key below). Bearer tokens are verified against a local key set (nothing fetched).
 *
 * For suites about what a handler makes of a request (parsing, validation, routing): most requests are refused
 * before any upstream call, and those that get through are answered by the stand-ins. Faults of the upstreams are
 * tested against the real local services instead (dynalite, the Bedrock emulator).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { RetrieveCommandOutput } from '@aws-sdk/client-bedrock-agent-runtime';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { API_KEY_TABLE, CHAT_HISTORY_TABLE, RATE_LIMIT_TABLE } from '../../contract/tables';
import { callerCredentialClients, functionRoleClients } from '../../lambdas/chat/access/client-source';
import { apiKeyHash } from '../../lambdas/chat/auth/api-key-authenticator';
import { createAuthenticator } from '../../lambdas/chat/auth/authenticator';
import type { AuthConfig } from '../../lambdas/chat/auth/config';
import { jwtAuthenticator } from '../../lambdas/chat/auth/jwt-authenticator';
import { keySetGetKey } from '../../lambdas/chat/auth/jwt-verifier';
import { RemoteKeySet } from '../../lambdas/chat/auth/remote-key-set';
import type { ConverseStreamClient } from '../../lambdas/chat/bedrock/converse-stream';
import type { InvokeAgentClient } from '../../lambdas/chat/bedrock/invoke-agent';
import type { RetrieveClient } from '../../lambdas/chat/bedrock/retrieve';
import { ChatStore } from '../../lambdas/chat/chats/chat-store';
import type { StreamHandler } from '../../lambdas/chat/core/invocation';
import type { LogSink } from '../../lambdas/chat/core/log';
import type { FunctionUrlEvent } from '../../lambdas/chat/http/event';
import { loadAgentChatConfig } from '../../lambdas/chat/modes/agent-chat/config';
import { createAgentChatHandler } from '../../lambdas/chat/modes/agent-chat/handler';
import { loadCompletionsConfig } from '../../lambdas/chat/modes/completions/config';
import { createCompletionsHandler } from '../../lambdas/chat/modes/completions/handler';
import { loadModelChatConfig } from '../../lambdas/chat/modes/model-chat/config';
import { createModelChatHandler } from '../../lambdas/chat/modes/model-chat/handler';
import { loadRagChatConfig } from '../../lambdas/chat/modes/rag-chat/config';
import { createRagChatHandler } from '../../lambdas/chat/modes/rag-chat/handler';
import { agentBackend } from '../../lambdas/chat/modes/stored-chat/agent-backend';
import { loadStoredAgentChatConfig, loadStoredModelChatConfig } from '../../lambdas/chat/modes/stored-chat/config';
import { createStoredChatHandler } from '../../lambdas/chat/modes/stored-chat/handler';
import { modelBackend } from '../../lambdas/chat/modes/stored-chat/model-backend';

export const REGION = 'eu-west-1';
export const MODELS = { haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', sonnet: 'global.anthropic.claude-sonnet-4-6' };
export const GUEST_ROLE_ARN = 'arn:aws:iam::123456789012:role/GuestRole';
export const ISSUER = 'https://id.example.com/';
export const AUDIENCE = 'chat';
export const ALLOWED_REGIONS = ['eu-west-1', 'us-east-1'];
/** The one stored chat (of any user) the history table holds: a continued chat reaches the model with its turns. */
export const KNOWN_CHAT_ID = '11111111-1111-4111-8111-111111111111';
/** The one API key the completions handler's table knows. */
export const API_KEY = 'sk-test-0123456789abcdefghijklmnopqrstuv';

const TABLES = { rateLimit: 'limits', history: 'history', apiKeys: 'keys' };

const COMMON_ENV = {
  AWS_REGION: REGION,
  CHAT_MODELS: JSON.stringify(MODELS),
  CHAT_MAX_TOKENS: '512',
  RATE_LIMIT_TABLE_NAME: TABLES.rateLimit,
  RATE_LIMIT_PER_MINUTE: '1000',
  RATE_LIMIT_FAIL_OPEN: 'false',
  RATE_LIMIT_NAMESPACE: 'props',
};
const JWT_ENV = {
  CHAT_AUTH_MODE: 'jwt',
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  JWT_JWKS_URI: 'https://id.example.com/.well-known/jwks.json',
  JWT_ALGORITHMS: 'ES256',
  JWT_REQUIRED_CLAIMS: '',
  JWT_CLOCK_SKEW_SECONDS: '30',
};
const IAM_ENV = { CHAT_AUTH_MODE: 'iam', CHAT_GUEST_ROLE_ARNS: GUEST_ROLE_ARN };

/** What a stand-in saw: how many calls reached each upstream. */
export interface UpstreamCalls {
  bedrock: number;
  retrieve: number;
  agent: number;
  dynamo: number;
}

export interface InProcessChat {
  /** The handlers, by the bundle and mode they stand for. */
  readonly handlers: {
    readonly modelChatIam: StreamHandler;
    readonly modelChatJwt: StreamHandler;
    readonly modelChatCallerCredentials: StreamHandler;
    readonly guestRag: StreamHandler;
    readonly storedModelChat: StreamHandler;
    readonly storedAgentChat: StreamHandler;
    /** The caller-credentials agent chat behind a public URL, the agent named by the caller (or the default). */
    readonly agentChat: StreamHandler;
    readonly completions: StreamHandler;
  };
  readonly calls: UpstreamCalls;
  /** Every log line written by the handlers since the last {@link InProcessChat.takeLogs}. */
  takeLogs(): Array<Record<string, unknown>>;
  /** A token the verifier accepts (ES256, the local key), for `sub` and any more claims. */
  token(claims?: JWTPayload, options?: { expiresIn?: string | number; issuer?: string; audience?: string }): Promise<string>;
}

async function* converseStream(): AsyncGenerator<Record<string, unknown>> {
  yield { messageStart: { role: 'assistant' } };
  yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'ok' } } };
  yield { messageStop: { stopReason: 'end_turn' } };
  yield { metadata: { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } } };
}

async function* agentCompletion(): AsyncGenerator<Record<string, unknown>> {
  yield { chunk: { bytes: new TextEncoder().encode('ok') } };
}

export async function buildInProcessChat(): Promise<InProcessChat> {
  const calls: UpstreamCalls = { bedrock: 0, retrieve: 0, agent: 0, dynamo: 0 };
  const lines: Array<Record<string, unknown>> = [];
  const logSink: LogSink = {
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    error: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  };

  const bedrock = {
    send: async () => {
      calls.bedrock++;
      return { $metadata: {}, stream: converseStream() };
    },
  } as unknown as ConverseStreamClient;
  const retrieve: RetrieveClient = {
    send: async () => {
      calls.retrieve++;
      return {
        $metadata: {},
        retrievalResults: [
          {
            content: { text: 'Opening hours are 9 to 5.' },
            score: 0.9,
            location: { type: 'S3', s3Location: { uri: 's3://documents-bucket/published/hours.txt' } },
            metadata: { 'x-amz-bedrock-kb-source-uri': 's3://documents-bucket/published/hours.txt' },
          },
        ],
      } as unknown as RetrieveCommandOutput;
    },
  };
  const agent = {
    send: async () => {
      calls.agent++;
      return { $metadata: {}, completion: agentCompletion(), sessionId: 'x' };
    },
  } as unknown as InvokeAgentClient;
  // biome-ignore lint/suspicious/noExplicitAny: one stand-in answers every DynamoDB command the handlers send
  const dynamo: { send(command: any): Promise<any> } = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.dynamo++;
      const input = command.input as {
        TableName?: string;
        UpdateExpression?: string;
        ExpressionAttributeValues?: Record<string, { S?: string }>;
        Key?: Record<string, { S?: string }>;
      };
      switch (command.constructor.name) {
        case 'UpdateItemCommand':
          if (input.TableName === TABLES.history) {
            const now = input.ExpressionAttributeValues?.[':now'] ?? { S: new Date().toISOString() };
            const [title, createdAt, updatedAt, turns] = CHAT_HISTORY_TABLE.projected;
            return {
              $metadata: {},
              Attributes: {
                [title]: input.ExpressionAttributeValues?.[':title'] ?? { S: 'title' },
                [createdAt]: now,
                [updatedAt]: now,
                [turns]: { N: '1' },
              },
            };
          }
          // The rate limiter (and the budgets, which read nothing back on success).
          return { $metadata: {}, Attributes: { [RATE_LIMIT_TABLE.requests]: { N: '1' } } };
        case 'GetItemCommand':
          if (input.TableName === TABLES.apiKeys && input.Key?.[API_KEY_TABLE.partitionKey]?.S === apiKeyHash(API_KEY)) {
            return { $metadata: {}, Item: { [API_KEY_TABLE.partitionKey]: { S: apiKeyHash(API_KEY) } } };
          }
          if (input.TableName === TABLES.history && input.Key?.sk?.S === `CHAT#${KNOWN_CHAT_ID}`) {
            const [title, createdAt, updatedAt, turns] = CHAT_HISTORY_TABLE.projected;
            const at = { S: '2026-01-01T00:00:00.000Z' };
            return { $metadata: {}, Item: { ...input.Key, [title]: { S: 'Hours' }, [createdAt]: at, [updatedAt]: at, [turns]: { N: '1' } } };
          }
          return { $metadata: {} };
        case 'QueryCommand': {
          const pk = (input as { ExpressionAttributeValues?: Record<string, { S?: string }> }).ExpressionAttributeValues?.[':pk']?.S ?? '';
          if (pk.endsWith(`#${KNOWN_CHAT_ID}`)) {
            const turn = {
              pk: { S: pk },
              sk: { S: 'TURN#0000000001' },
              user: { S: 'Hours?' },
              assistant: { S: '9 to 5.' },
              createdAt: { S: '2026-01-01T00:00:00.000Z' },
            };
            return { $metadata: {}, Items: [turn] };
          }
          return { $metadata: {}, Items: [] };
        }
        default:
          return { $metadata: {} };
      }
    },
  };

  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = 'props-key';
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  // The functions' own key lookup, over a set that is handed over instead of fetched.
  const keys = keySetGetKey(new RemoteKeySet(new URL('https://issuer.example.com/.well-known/jwks.json'), async () => ({ keys: [jwk] })));
  const jwtOf = (auth: AuthConfig) => {
    if (auth.mode !== 'jwt') throw new Error('not a JWT configuration');
    return jwtAuthenticator(auth.jwt, keys);
  };

  const modelIam = loadModelChatConfig({ ...COMMON_ENV, ...IAM_ENV });
  const modelJwt = loadModelChatConfig({ ...COMMON_ENV, ...JWT_ENV, RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '5000' });
  const modelCaller = loadModelChatConfig({
    ...COMMON_ENV,
    ...IAM_ENV,
    BEDROCK_ACCESS: 'caller-credentials',
    BEDROCK_ALLOWED_REGIONS: ALLOWED_REGIONS.join(','),
  });
  const rag = loadRagChatConfig({
    ...COMMON_ENV,
    ...IAM_ENV,
    KNOWLEDGE_BASE_ID: 'KB12345678',
    KNOWLEDGE_BASE_DOCUMENTS_PREFIX: 'published/',
    RETRIEVAL_RESULTS: '5',
    RETRIEVAL_MIN_SCORE: '0.4',
  });
  const storedEnv = { ...COMMON_ENV, ...JWT_ENV, HISTORY_TABLE_NAME: TABLES.history, HISTORY_TURNS: '10' };
  const storedModel = loadStoredModelChatConfig(storedEnv);
  const storedAgent = loadStoredAgentChatConfig({ ...storedEnv, CHAT_MODELS: undefined, AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'TSTALIASID' });
  const agentChat = loadAgentChatConfig({
    ...COMMON_ENV,
    CHAT_MODELS: undefined,
    CHAT_AUTH_MODE: 'public',
    BEDROCK_ACCESS: 'caller-credentials',
    BEDROCK_ALLOWED_REGIONS: ALLOWED_REGIONS.join(','),
    AGENT_ID: 'AGENT12345',
    AGENT_ALIAS_ID: 'TSTALIASID',
    AGENT_CALLER_CHOICE: 'true',
  });
  const completions = loadCompletionsConfig({
    ...COMMON_ENV,
    CHAT_AUTH_MODE: 'api_key',
    API_KEY_TABLE_NAME: TABLES.apiKeys,
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '5000',
    BUDGET_FAIL_OPEN: 'false',
  });

  const stored = (config: typeof storedModel | typeof storedAgent) => ({
    rateLimit: config.rateLimit,
    budgets: config.budgets,
    authenticator: jwtOf(config.auth),
    limiter: dynamo,
    store: new ChatStore(dynamo, TABLES.history),
    logSink,
  });

  return {
    calls,
    takeLogs: () => lines.splice(0),
    token: (claims = {}, options = {}) =>
      new SignJWT({ sub: 'alice', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(privateKey),
    handlers: {
      modelChatIam: createModelChatHandler({
        config: modelIam,
        authenticator: createAuthenticator(modelIam.auth),
        bedrock: functionRoleClients(bedrock, REGION),
        dynamo,
        logSink,
      }),
      modelChatJwt: createModelChatHandler({
        config: modelJwt,
        authenticator: jwtOf(modelJwt.auth),
        bedrock: functionRoleClients(bedrock, REGION),
        dynamo,
        logSink,
      }),
      modelChatCallerCredentials: createModelChatHandler({
        config: modelCaller,
        authenticator: createAuthenticator(modelCaller.auth),
        bedrock: callerCredentialClients(ALLOWED_REGIONS, () => bedrock),
        dynamo,
        logSink,
      }),
      guestRag: createRagChatHandler({
        config: rag,
        authenticator: createAuthenticator(rag.auth),
        bedrock: functionRoleClients(bedrock, REGION),
        agentRuntime: functionRoleClients(retrieve, REGION),
        dynamo,
        logSink,
      }),
      storedModelChat: createStoredChatHandler({ ...stored(storedModel), backend: modelBackend(functionRoleClients(bedrock, REGION), storedModel) }),
      storedAgentChat: createStoredChatHandler({ ...stored(storedAgent), backend: agentBackend(functionRoleClients(agent, REGION), storedAgent) }),
      agentChat: createAgentChatHandler({
        config: agentChat,
        authenticator: createAuthenticator(agentChat.auth),
        agents: callerCredentialClients(ALLOWED_REGIONS, () => agent),
        dynamo,
        logSink,
      }),
      completions: createCompletionsHandler({
        config: completions,
        authenticator: createAuthenticator(completions.auth, { dynamo }),
        bedrock: functionRoleClients(bedrock, REGION),
        dynamo,
        logSink,
      }),
    },
  };
}

/** What a Function URL would send back: the status and headers of the prelude, and the body. */
export interface HandlerAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A context whose deadline is a minute away (the handlers bound their upstream calls by it). */
function context(): { awsRequestId: string; functionName: string; getRemainingTimeInMillis(): number } {
  const deadline = Date.now() + 60_000;
  return { awsRequestId: randomUUID(), functionName: 'props', getRemainingTimeInMillis: () => deadline - Date.now() };
}

/**
 * Calls `handler` with `event` on a fresh stream, outside the Lambda runtime (no `awslambda` global: the
 * handler writes the prelude itself). Rejects when the handler throws or when it has not ended the stream
 * within `timeoutMs` (a hang).
 */
export async function invokeHandler(handler: StreamHandler, event: FunctionUrlEvent, timeoutMs = 5_000): Promise<HandlerAnswer> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([handler(event, stream, context()), hang]);
    await Promise.race([ended, hang]);
  } finally {
    clearTimeout(timer);
  }
  const all = Buffer.concat(chunks);
  const at = all.indexOf(Buffer.alloc(8));
  if (at < 0) throw new Error(`no prelude in the response: ${JSON.stringify(all.toString('utf8').slice(0, 200))}`);
  const prelude = JSON.parse(all.subarray(0, at).toString('utf8')) as { statusCode: number; headers: Record<string, string> };
  return { status: prelude.statusCode, headers: prelude.headers, body: all.subarray(at + 8).toString('utf8') };
}
