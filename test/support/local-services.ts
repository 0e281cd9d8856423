/**
 * The chat function running locally as deployed: the REAL entry module (real AWS SDK clients) configured by
 * the same environment the construct sets, DynamoDB from embedded dynalite, Bedrock from the project's
 * emulator (reached through the SDK's standard AWS_ENDPOINT_URL_* variables), and a Function-URL-like HTTP
 * server in front, invoked through the Lambda runtime miniature.
 */

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type BedrockEmulator, type BedrockEmulatorOptions, startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { createRateLimitTable, startDynalite } from '../../tools/local/dynamo';
import { type FunctionUrlIamIdentity, type FunctionUrlServer, startFunctionUrlServer } from '../../tools/local/function-url-server';
import type { LocalJwtIssuer } from '../../tools/local/jwt-issuer';
import { installAwsLambdaGlobal } from '../../tools/local/lambda-runtime';
import { FAKE_CREDENTIALS } from './events';

/** The Lambda entry modules (lambdas/chat/entry/), by file name. */
interface EntryModules {
  'model-chat': typeof import('../../lambdas/chat/entry/model-chat');
  'rag-chat': typeof import('../../lambdas/chat/entry/rag-chat');
  'stored-model-chat': typeof import('../../lambdas/chat/entry/stored-model-chat');
  'stored-agent-chat': typeof import('../../lambdas/chat/entry/stored-agent-chat');
  'agent-chat': typeof import('../../lambdas/chat/entry/agent-chat');
  completions: typeof import('../../lambdas/chat/entry/completions');
}
export type EntryName = keyof EntryModules;

export const TEST_REGION = 'eu-west-1';
/** The rate-limit namespace of every local test function (the construct sets one per function). */
export const TEST_RATE_LIMIT_NAMESPACE = 'test-chat';
export const TEST_MODELS = {
  haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
  sonnet: 'global.anthropic.claude-sonnet-4-6',
};

/** Environment every local chat function gets besides its configuration: region, fake credentials, quiet SDK. */
export const BASE_ENV: Record<string, string> = {
  AWS_REGION: TEST_REGION,
  AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: FAKE_CREDENTIALS.sessionToken,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Sets environment variables; returns a function restoring the previous values. */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (vars: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(previous);
}

/**
 * Loads a fresh copy of the entry module `lambdas/chat/entry/<name>` (its module-scope config and clients)
 * under `env`, with the `awslambda` global installed as in Lambda. The variables stay set: the SDK resolves
 * endpoints and credentials lazily, at the first call.
 *
 * Modules the entry loads with `import()` at init (the token verifier) are loaded before this returns, inside
 * the same isolated registry: a copy loaded later from jest's main registry would have its own `ChatError`
 * class, which the entry's copy would not recognise (in Lambda there is one module graph).
 */
export async function loadEntry<N extends EntryName>(
  name: N,
  env: Record<string, string | undefined>,
): Promise<{ entry: EntryModules[N]; restoreEnv: () => void }> {
  installAwsLambdaGlobal();
  const restoreEnv = setEnv({ ...BASE_ENV, ...env });
  let entry: EntryModules[N] | undefined;
  try {
    await jest.isolateModulesAsync(async () => {
      entry = require(`../../lambdas/chat/entry/${name}`) as EntryModules[N];
      // import() runs its require in a microtask: all of them have run once a macrotask has.
      await new Promise((resolve) => setImmediate(resolve));
    });
  } catch (error) {
    restoreEnv();
    throw error;
  }
  return { entry: entry!, restoreEnv };
}

export interface LocalDynamo {
  readonly url: string;
  /** Talks to dynalite directly: for creating and inspecting tables. */
  readonly admin: DynamoDBClient;
  close(): Promise<void>;
}

/** Embedded dynalite on a free port, and an admin client for it. */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const dynalite = await startDynalite({ port: 0 });
  const admin = new DynamoDBClient({ endpoint: dynalite.url, region: TEST_REGION, credentials: FAKE_CREDENTIALS });
  return {
    url: dynalite.url,
    admin,
    close: async () => {
      admin.destroy();
      await dynalite.close();
    },
  };
}

export interface ServeOptions {
  /** The Function URL's IAM caller; `null` for auth NONE. @default LOCAL_IAM_IDENTITY */
  readonly identity?: FunctionUrlIamIdentity | null;
  /** The function timeout. @default 30_000 */
  readonly timeoutMs?: number;
}

/** An entry's `handler` behind the Function-URL-like server on a free port. */
export function serveHandler(handler: unknown, options: ServeOptions): Promise<FunctionUrlServer> {
  return startFunctionUrlServer({
    handler,
    port: 0,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.identity !== undefined ? { identity: options.identity } : {}),
  });
}

/**
 * A port nothing listens on: one below the kernel's ephemeral range, found free (bound, then released). A port
 * from `listen(0)` would be in that range, where the next server a test starts on port 0 (its own token issuer,
 * say) may be given the same port and answer where nothing should.
 */
export async function closedPort(): Promise<number> {
  const range = /^(\d+)/.exec(readFileIfPresent('/proc/sys/net/ipv4/ip_local_port_range'));
  const below = Math.max(2048, Number(range?.[1] ?? 32768));
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 1024 + Math.floor(Math.random() * (below - 1024));
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range after 50 attempts');
}

function readFileIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `CHAT_AUTH_MODE=jwt` with the token rules of a local issuer (as the construct sets them for `ChatAuth.jwt`):
 * RS256 or ES256, `requiredClaims` beyond `sub` and `exp`, 30 s of clock skew.
 */
export function jwtAuthEnvironment(
  issuer: LocalJwtIssuer,
  options: { requiredClaims?: readonly string[]; cognitoTokenUse?: string; jwksUri?: string } = {},
): Record<string, string | undefined> {
  return {
    CHAT_AUTH_MODE: 'jwt',
    JWT_ISSUER: issuer.issuer,
    JWT_AUDIENCE: issuer.audience,
    JWT_JWKS_URI: options.jwksUri ?? issuer.jwksUri,
    JWT_ALGORITHMS: 'RS256,ES256',
    JWT_REQUIRED_CLAIMS: (options.requiredClaims ?? []).join(','),
    JWT_CLOCK_SKEW_SECONDS: '30',
    JWT_COGNITO_TOKEN_USE: options.cognitoTokenUse,
  };
}

export interface ChatStackOptions extends ServeOptions {
  /** Callers authenticate with tokens of this issuer (`CHAT_AUTH_MODE=jwt`, a public URL); default IAM. */
  readonly jwtIssuer?: LocalJwtIssuer;
  readonly requestsPerMinute?: number;
  readonly failOpen?: boolean;
  /** `RATE_LIMIT_PER_ADDRESS_PER_MINUTE` (what the construct sets for a public URL); default unset. */
  readonly requestsPerAddress?: number;
  readonly maxTokens?: number;
  readonly models?: Record<string, string>;
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host'>;
  /** Point DynamoDB here instead of starting dynalite (e.g. a closed port, for "DynamoDB is down"). */
  readonly dynamoEndpoint?: string;
  /** More variables for the function (e.g. `BEDROCK_ACCESS`); `AWS_ENDPOINT_URL_STS` is the emulator unless given. */
  readonly environment?: Record<string, string>;
}

export interface ChatStack {
  readonly url: string;
  readonly emulator: BedrockEmulator;
  readonly tableName: string;
  /** Every counter item of the rate-limit table (admin Scan; none when DynamoDB is elsewhere). */
  rateLimitItems(): Promise<Array<Record<string, AttributeValue>>>;
  readonly server: FunctionUrlServer;
  readonly entry: EntryModules['model-chat'];
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startChatStack(options: ChatStackOptions = {}): Promise<ChatStack> {
  const restoreBaseEnv = setEnv(BASE_ENV);
  const emulator = await startBedrockEmulator({ port: 0, ...options.emulator });
  let dynamo: LocalDynamo | undefined;
  const tableName = `chat-rate-limits-${process.pid}-${++tableCounter}`;
  if (options.dynamoEndpoint === undefined) {
    dynamo = await startLocalDynamo();
    await createRateLimitTable(dynamo.admin, tableName);
  }
  const { entry, restoreEnv } = await loadEntry('model-chat', {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint ?? dynamo!.url,
    CHAT_MODELS: JSON.stringify(options.models ?? TEST_MODELS),
    CHAT_MAX_TOKENS: String(options.maxTokens ?? 1024),
    RATE_LIMIT_TABLE_NAME: tableName,
    RATE_LIMIT_PER_MINUTE: String(options.requestsPerMinute ?? 1000),
    RATE_LIMIT_FAIL_OPEN: String(options.failOpen ?? false),
    RATE_LIMIT_NAMESPACE: TEST_RATE_LIMIT_NAMESPACE,
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: options.requestsPerAddress === undefined ? undefined : String(options.requestsPerAddress),
    ...(options.jwtIssuer ? jwtAuthEnvironment(options.jwtIssuer) : { CHAT_AUTH_MODE: 'iam' }),
    AWS_ENDPOINT_URL_STS: emulator.url,
    ...options.environment,
  });
  // A Function URL with auth NONE (no authorizer in the events) when the function checks tokens itself.
  const server = await serveHandler(entry.handler, options.jwtIssuer ? { identity: null, ...options } : options);
  return {
    url: server.url,
    emulator,
    tableName,
    rateLimitItems: async () => (dynamo ? ((await dynamo.admin.send(new ScanCommand({ TableName: tableName }))).Items ?? []) : []),
    server,
    entry,
    close: async () => {
      await server.close();
      await emulator.close();
      await dynamo?.close();
      restoreEnv();
      restoreBaseEnv();
    },
  };
}

export interface ReceivedChunk {
  /** ms since the request was sent */
  readonly at: number;
  readonly text: string;
}

export interface ChatHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly chunks: readonly ReceivedChunk[];
  /** ms since the request was sent, when the response ended */
  readonly endedAt: number;
  json<T = { error: { code: string; message: string } }>(): T;
}

export interface PostOptions {
  readonly headers?: Record<string, string>;
  readonly method?: string;
  /** A raw body instead of JSON-encoding `body`. */
  readonly rawBody?: string | Buffer;
}

/** Sends one request and records every chunk of the response with its arrival time. */
export function postChat(url: string, body: unknown, options: PostOptions = {}): Promise<ChatHttpResponse> {
  const payload = options.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...options.headers },
      },
      (res) => {
        const chunks: ReceivedChunk[] = [];
        res.setEncoding('utf8');
        res.on('data', (text: string) => chunks.push({ at: performance.now() - started, text }));
        res.on('error', reject);
        res.on('end', () => {
          const text = chunks.map((chunk) => chunk.text).join('');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            chunks,
            endedAt: performance.now() - started,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Parses an SSE body into its events. */
export function parseSse(body: string): Array<{ event: string; data: unknown }> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => {
          const at = line.indexOf(': ');
          return [line.slice(0, at), line.slice(at + 2)];
        }),
      );
      return { event: fields.event ?? 'message', data: JSON.parse(fields.data ?? 'null') as unknown };
    });
}
