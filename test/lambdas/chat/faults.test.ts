/**
 * Faults end to end, bundle by bundle: each entry module as deployed (real SDK clients, real jose) behind the local
 * Function URL, against the Bedrock emulator, dynalite (behind a recorder that can cut some calls) and a local token
 * issuer, with one upstream broken at a time. Each case asserts the status, the stable code and the headers the
 * caller gets, and what the upstream saw (attempts) or what the tables hold afterwards.
 *
 * | fault                                  | what the caller gets                                                      |
 * |----------------------------------------|---------------------------------------------------------------------------|
 * | Bedrock throttles every attempt        | 429 `throttled` with `Retry-After`, after exactly 2 attempts (1 retry)    |
 * | the model (or agent) never answers     | 504 `upstream_timeout` before the function's timeout                      |
 * | an error after the first delta         | 200, the deltas, then the SSE / OpenAI error event, and the stream ends   |
 * | DynamoDB unreachable (rate-limit table)| 503 `rate_limiter_unavailable` (fail closed; API keys: `auth_unavailable`) |
 * | DynamoDB unreachable (history table)   | 503 `history_unavailable`, or the SSE error event; nothing stored          |
 * | the JWKS unreachable                   | 503 `auth_unavailable`                                                    |
 * | STS unreachable (an assumed role)      | 503 `role_assumption_unavailable`                                         |
 *
 * The table of what was observed is printed at the end of the run (the README's fault table is made from it).
 * Cases other suites already cover are not repeated here: DynamoDB down with fail-open for the model chat
 * (modes/model-chat/dynamodb-down.test.ts), the JWKS down for stored chats (modes/stored-chat/auth.test.ts).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { THROTTLED_RETRY_AFTER_SECONDS } from '../../../lambdas/chat/bedrock/errors';
import { createKey } from '../../../tools/keys/api-keys';
import type { BedrockEmulator, EmulatedOperation } from '../../../tools/local/bedrock-emulator';
import { startBedrockEmulator } from '../../../tools/local/bedrock-emulator';
import { createApiKeyTable, createRateLimitTable } from '../../../tools/local/dynamo';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../tools/local/jwt-issuer';
import { type DynamoRecorder, startDynamoRecorder } from '../../support/dynamo-recorder';
import { startJwtChatStack } from '../../support/jwt-services';
import {
  BASE_ENV,
  type ChatHttpResponse,
  closedPort,
  loadEntry,
  parseSse,
  postChat,
  serveHandler,
  setEnv,
  startChatStack,
  startLocalDynamo,
  TEST_MODELS,
} from '../../support/local-services';
import { useLogCapture } from '../../support/log-capture';
import { startRagChatStack } from '../../support/rag-services';

const logs = useLogCapture();

const ANSWER = Array.from({ length: 8 }, (_, i) => `token${i}`).join(' ');
const ROLE_ARN = 'arn:aws:iam::222222222222:role/CentralBedrock';
/** A short function timeout: the deadline (2 s before it) leaves 2 s for the upstream, room for a loaded machine. */
const SHORT_TIMEOUT_MS = 4_000;
/**
 * The stacks whose cases are not about the limiter let requests through when it fails: on a loaded machine its
 * 1.5 s timeout must not turn a throttling or timeout case into a 503. The limiter cases set it closed.
 */
const LIMITER_OPEN = { RATE_LIMIT_FAIL_OPEN: 'true' };
const LIMITER_CLOSED = { RATE_LIMIT_FAIL_OPEN: 'false' };
const JSON_TYPE = 'application/json; charset=utf-8';

type Bundle = 'model chat' | 'guest RAG' | 'stored chat (model)' | 'stored chat (agent)' | 'completions';
const BUNDLES: readonly Bundle[] = ['model chat', 'guest RAG', 'stored chat (model)', 'stored chat (agent)', 'completions'];

/** What one bundle's stack offers the cases. */
interface Harness {
  readonly emulator: BedrockEmulator;
  /** The operation that answers (ConverseStream, or InvokeAgent for the agent). */
  readonly answerOperation: EmulatedOperation;
  /** One chat request; `sse` asks for an event stream (completions: `stream: true`). */
  ask(options?: { sse?: boolean; url?: string }): Promise<ChatHttpResponse>;
  /** The entry's handler, to serve it again with a shorter timeout. */
  readonly handler: unknown;
  /** Whether the URL has auth NONE (the function checks tokens or keys itself). */
  readonly publicUrl: boolean;
  /** The error code and message of an error response or event, whatever the dialect. */
  readonly dialect: 'chat' | 'openai';
  /** Stored chats: every item of the history table. */
  history?(): Promise<Array<Record<string, AttributeValue>>>;
  /** Stored chats: a prompt in an existing chat. */
  continueChat?(chatId: string): Promise<ChatHttpResponse>;
  /** The recorder in front of dynalite, when the stack has one. */
  readonly recorder?: DynamoRecorder;
  close(): Promise<void>;
}

interface StartOptions {
  /** More of the function's environment (e.g. an assumed role, an unreachable DynamoDB or JWKS). */
  readonly environment?: Record<string, string>;
}

const PASSAGES = [{ text: 'Support hours: weekdays 9-17.', score: 0.9, uri: 's3://company-docs/published/support.md' }];

async function startHarness(bundle: Bundle, options: StartOptions = {}): Promise<Harness> {
  const emulator = { tokenDelayMs: 2, answer: ANSWER, agentAnswer: ANSWER };
  switch (bundle) {
    case 'model chat': {
      const stack = await startChatStack({ emulator, environment: options.environment });
      return {
        emulator: stack.emulator,
        answerOperation: 'ConverseStream',
        ask: ({ sse, url } = {}) => postChat(url ?? stack.url, { message: 'hi' }, { headers: sse ? { accept: 'text/event-stream' } : {} }),
        handler: stack.entry.handler,
        publicUrl: false,
        dialect: 'chat',
        close: () => stack.close(),
      };
    }
    case 'guest RAG': {
      const stack = await startRagChatStack({ passages: PASSAGES, emulator, environment: options.environment });
      return {
        emulator: stack.emulator,
        answerOperation: 'ConverseStream',
        ask: ({ sse, url } = {}) =>
          postChat(url ?? stack.url, { message: 'When is support open?' }, { headers: sse ? { accept: 'text/event-stream' } : {} }),
        handler: stack.entry.handler,
        publicUrl: false,
        dialect: 'chat',
        close: () => stack.close(),
      };
    }
    case 'stored chat (model)':
    case 'stored chat (agent)': {
      const stack = await startJwtChatStack({
        backend: bundle === 'stored chat (model)' ? 'model' : 'agent',
        emulator,
        environment: options.environment,
      });
      const token = await stack.token('alice');
      return {
        emulator: stack.emulator,
        answerOperation: bundle === 'stored chat (model)' ? 'ConverseStream' : 'InvokeAgent',
        ask: ({ sse, url } = {}) =>
          postChat(
            new URL('/chat', url ?? stack.url).toString(),
            { prompt: 'hi' },
            {
              headers: { authorization: `Bearer ${token}`, ...(sse ? { accept: 'text/event-stream' } : {}) },
            },
          ),
        handler: stack.handler,
        publicUrl: true,
        dialect: 'chat',
        history: () => stack.scan(stack.tables.history),
        continueChat: (chatId) => stack.request('POST', '/chat', { token, body: { prompt: 'and then?', chat_id: chatId } }),
        recorder: stack.dynamo,
        close: () => stack.close(),
      };
    }
    case 'completions':
      return startCompletions(options);
  }
}

let completionsCounter = 0;

/** The completions entry (API keys in dynalite, behind the recorder) on the local Function URL. */
async function startCompletions(options: StartOptions): Promise<Harness> {
  const restoreBaseEnv = setEnv(BASE_ENV);
  const emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 2, answer: ANSWER });
  const dynalite = await startLocalDynamo();
  const recorder = await startDynamoRecorder(dynalite.url);
  const suffix = `${process.pid}-${++completionsCounter}`;
  const tables = { limits: `completions-limits-${suffix}`, keys: `completions-keys-${suffix}` };
  await createRateLimitTable(dynalite.admin, tables.limits);
  await createApiKeyTable(dynalite.admin, tables.keys);
  const key = await createKey(dynalite.admin, tables.keys, { name: 'faults', owner: 'ci' });
  const { entry, restoreEnv } = await loadEntry('completions', {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: recorder.url,
    AWS_ENDPOINT_URL_STS: emulator.url,
    CHAT_MODELS: JSON.stringify(TEST_MODELS),
    CHAT_MAX_TOKENS: '512',
    RATE_LIMIT_TABLE_NAME: tables.limits,
    RATE_LIMIT_PER_MINUTE: '1000',
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: 'completions-faults',
    CHAT_AUTH_MODE: 'api_key',
    API_KEY_TABLE_NAME: tables.keys,
    BUDGET_FAIL_OPEN: 'false',
    ...options.environment,
  });
  const server = await serveHandler(entry.handler, { identity: null });
  return {
    emulator,
    answerOperation: 'ConverseStream',
    ask: ({ sse, url } = {}) =>
      postChat(
        new URL('/v1/chat/completions', url ?? server.url).toString(),
        { model: 'haiku', messages: [{ role: 'user', content: 'hi' }], stream: sse === true },
        { headers: { authorization: `Bearer ${key}` } },
      ),
    handler: entry.handler,
    publicUrl: true,
    dialect: 'openai',
    recorder,
    close: async () => {
      await server.close();
      await emulator.close();
      await recorder.close();
      await dynalite.close();
      restoreEnv();
      restoreBaseEnv();
    },
  };
}

/** The code of a JSON error response, in either dialect. */
function errorCode(response: ChatHttpResponse): string {
  expect(response.headers['content-type']).toBe(JSON_TYPE);
  return response.json<{ error: { code: string } }>().error.code;
}

/** The error that ended a stream: the SSE `error` event, or OpenAI's `data: {"error": …}` event. */
function streamedError(response: ChatHttpResponse, dialect: Harness['dialect']): { code: string; deltas: number; done: boolean } {
  if (dialect === 'chat') {
    const events = parseSse(response.body);
    const last = events.at(-1);
    return {
      code: last?.event === 'error' ? (last.data as { code: string }).code : `(last event ${last?.event})`,
      deltas: events.filter((e) => e.event === 'delta').length,
      done: events.some((e) => e.event === 'done'),
    };
  }
  const data = response.body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  const last = data.at(-1) ?? '';
  const error = last.startsWith('{') ? (JSON.parse(last) as { error?: { code: string } }).error : undefined;
  return {
    code: error?.code ?? `(last event ${last.slice(0, 40)})`,
    deltas: data.filter((line) => line.includes('"content"')).length,
    done: data.includes('[DONE]'),
  };
}

/** The fault table of this run: fault, bundle, what the caller got. */
const observed: Array<{ fault: string; bundle: Bundle; got: string }> = [];
afterAll(() => {
  const rows = observed.map(({ fault, bundle, got }) => `| ${fault} | ${bundle} | ${got} |`);
  console.log(['| fault | bundle | status / code observed |', '|---|---|---|', ...rows].join('\n'));
});

describe.each(BUNDLES)('%s', (bundle) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(bundle, { environment: LIMITER_OPEN });
  });
  afterAll(() => harness.close());
  afterEach(() => {
    harness.emulator.clearFaults();
    harness.emulator.setTokenDelay(2);
    harness.recorder?.failWhen(undefined);
  });

  test('Bedrock throttling every attempt → 2 attempts (one retry, jittered backoff), then 429 throttled with Retry-After', async () => {
    harness.emulator.reset();
    harness.emulator.injectFault('throttling', { times: Infinity, operation: harness.answerOperation });
    const response = await harness.ask();
    expect(response.status).toBe(429);
    expect(errorCode(response)).toBe('throttled');
    expect(response.headers['retry-after']).toBe(String(THROTTLED_RETRY_AFTER_SECONDS));
    const attempts = harness.emulator.requests.filter((r) => r.operation === harness.answerOperation).length;
    expect(attempts).toBe(2);
    observed.push({
      fault: 'Bedrock throttling (every attempt)',
      bundle,
      got: `429 \`throttled\`, \`Retry-After: ${THROTTLED_RETRY_AFTER_SECONDS}\`, ${attempts} attempts`,
    });
    if (harness.history) expect(await harness.history()).toEqual([]);
  });

  test('a model that never answers → 504 upstream_timeout before the function times out (the deadline comes from the remaining time)', async () => {
    const short = await serveHandler(harness.handler, { timeoutMs: SHORT_TIMEOUT_MS, ...(harness.publicUrl ? { identity: null } : {}) });
    try {
      harness.emulator.setTokenDelay(60_000);
      const response = await harness.ask({ url: short.url });
      // The front end answers 502 when the function itself times out: 504 means the handler ended first.
      expect(response.status).toBe(504);
      expect(errorCode(response)).toBe('upstream_timeout');
      observed.push({
        fault: 'the model (agent) never answers',
        bundle,
        got: `504 \`upstream_timeout\` (function timeout ${SHORT_TIMEOUT_MS} ms not reached)`,
      });
      if (harness.history) expect(await harness.history()).toEqual([]);
    } finally {
      harness.emulator.setTokenDelay(2);
      await short.close();
    }
  });

  test('an error after the first deltas → 200, the deltas, then an error event; the stream ends without done', async () => {
    harness.emulator.injectFault({ type: 'midStreamError', afterTokens: 3 }, { operation: harness.answerOperation });
    const response = await harness.ask({ sse: true });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const ended = streamedError(response, harness.dialect);
    expect(ended.deltas).toBeGreaterThanOrEqual(1);
    expect(ended.done).toBe(false);
    expect(['upstream_error', 'agent_error']).toContain(ended.code);
    observed.push({ fault: 'an error mid-stream', bundle, got: `200, ${ended.deltas} deltas, then error event \`${ended.code}\`; no done` });
    if (harness.history) expect(await harness.history()).toEqual([]);
  });
});

describe.each(BUNDLES)('%s: STS unreachable for an assumed role', (bundle) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(bundle, {
      environment: {
        ...LIMITER_OPEN,
        BEDROCK_ACCESS: 'assume-role',
        BEDROCK_ROLE_ARN: ROLE_ARN,
        AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${await closedPort()}`,
      },
    });
  });
  afterAll(() => harness.close());

  test('503 role_assumption_unavailable, and Bedrock is never called', async () => {
    const response = await harness.ask();
    expect(response.status).toBe(503);
    expect(errorCode(response)).toBe('role_assumption_unavailable');
    expect(harness.emulator.requests).toHaveLength(0);
    observed.push({ fault: 'STS unreachable (assumed role)', bundle, got: '503 `role_assumption_unavailable`; Bedrock not called' });
  });
});

describe('DynamoDB unreachable: the limiter fails as configured', () => {
  test.each<Bundle>(['guest RAG'])('%s (fail closed, the default of public-facing functions) → 503 rate_limiter_unavailable', async (bundle) => {
    const harness = await startHarness(bundle, {
      environment: { ...LIMITER_CLOSED, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${await closedPort()}` },
    });
    try {
      const response = await harness.ask();
      expect(response.status).toBe(503);
      expect(errorCode(response)).toBe('rate_limiter_unavailable');
      expect(harness.emulator.requests).toHaveLength(0);
      observed.push({
        fault: 'DynamoDB unreachable (fail closed)',
        bundle,
        got: '503 `rate_limiter_unavailable`; knowledge base and model not called',
      });
    } finally {
      await harness.close();
    }
  });

  test.each<Bundle>(['stored chat (model)', 'stored chat (agent)', 'completions'])(
    '%s: the rate-limit table unreachable → 503 rate_limiter_unavailable, Bedrock not called',
    async (bundle) => {
      const harness = await startHarness(bundle, { environment: LIMITER_CLOSED });
      try {
        harness.recorder!.failWhen((call) => call.operation === 'UpdateItem' && /limits/.test(call.table ?? ''));
        const response = await harness.ask();
        expect(response.status).toBe(503);
        expect(errorCode(response)).toBe('rate_limiter_unavailable');
        expect(harness.emulator.requests).toHaveLength(0);
        observed.push({
          fault: 'DynamoDB unreachable (rate-limit table, fail closed)',
          bundle,
          got: '503 `rate_limiter_unavailable`; Bedrock not called',
        });
      } finally {
        await harness.close();
      }
    },
  );

  test.each<Bundle>(['stored chat (model)', 'completions'])(
    '%s: the rate-limit table unreachable with fail-open chosen → the answer, the failure logged',
    async (bundle) => {
      const harness = await startHarness(bundle, { environment: LIMITER_OPEN });
      try {
        harness.recorder!.failWhen((call) => call.operation === 'UpdateItem' && /limits/.test(call.table ?? ''));
        const response = await harness.ask();
        expect(response.status).toBe(200);
        expect(harness.emulator.requests.filter((r) => r.operation === 'ConverseStream')).toHaveLength(1);
        expect(logs.json().find((line) => line.event === 'rate_limiter_unavailable')).toMatchObject({ level: 'error', failOpen: true });
        if (harness.history) expect((await harness.history()).length).toBeGreaterThan(0);
        observed.push({
          fault: 'DynamoDB unreachable (rate-limit table, fail open)',
          bundle,
          got: '200, answered (and stored); the limiter failure logged',
        });
      } finally {
        await harness.close();
      }
    },
  );

  test('completions: DynamoDB unreachable altogether → 503 auth_unavailable (API keys cannot be checked), Bedrock not called', async () => {
    const harness = await startHarness('completions', { environment: LIMITER_CLOSED });
    try {
      harness.recorder!.failWhen(() => true);
      const response = await harness.ask();
      expect(response.status).toBe(503);
      expect(errorCode(response)).toBe('auth_unavailable');
      expect(harness.emulator.requests).toHaveLength(0);
      observed.push({
        fault: 'DynamoDB unreachable (all tables)',
        bundle: 'completions',
        got: '503 `auth_unavailable` (API key lookup); Bedrock not called',
      });
    } finally {
      await harness.close();
    }
  });
});

describe.each<Bundle>(['stored chat (model)', 'stored chat (agent)'])('%s: the history table unreachable', (bundle) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(bundle, { environment: LIMITER_OPEN });
  });
  afterAll(() => harness.close());
  afterEach(() => harness.recorder!.failWhen(undefined));

  const historyCalls = (call: { table?: string }): boolean => /history/.test(call.table ?? '');

  test('JSON: 503 history_unavailable after the answer, and nothing is stored', async () => {
    harness.recorder!.failWhen(historyCalls);
    const response = await harness.ask();
    expect(response.status).toBe(503);
    expect(errorCode(response)).toBe('history_unavailable');
    expect(await harness.history!()).toEqual([]);
    observed.push({ fault: 'DynamoDB unreachable (history table)', bundle, got: '503 `history_unavailable`; table empty afterwards' });
  });

  test('SSE: the deltas, then the error event history_unavailable; nothing is stored', async () => {
    harness.recorder!.failWhen(historyCalls);
    const response = await harness.ask({ sse: true });
    expect(response.status).toBe(200);
    const ended = streamedError(response, 'chat');
    expect(ended).toMatchObject({ code: 'history_unavailable', done: false });
    expect(await harness.history!()).toEqual([]);
  });

  test('only the turn write fails (the header was written): the header is taken back, nothing half-written remains', async () => {
    harness.recorder!.failWhen((call) => historyCalls(call) && call.operation === 'PutItem');
    const response = await harness.ask();
    expect(response.status).toBe(503);
    expect(errorCode(response)).toBe('history_unavailable');
    expect(await harness.history!()).toEqual([]);
    observed.push({ fault: 'the turn write fails after the header write', bundle, got: '503 `history_unavailable`; header taken back, table empty' });
  });

  test('a continued chat whose turn write fails is left exactly as it was', async () => {
    const first = await harness.ask();
    expect(first.status).toBe(200);
    const chatId = first.json<{ id: string }>().id;
    const before = await harness.history!();
    harness.recorder!.failWhen((call) => historyCalls(call) && call.operation === 'PutItem');
    const response = await harness.continueChat!(chatId);
    expect(response.status).toBe(503);
    expect(errorCode(response)).toBe('history_unavailable');
    expect(await harness.history!()).toEqual(before);
  });
});

describe('the JWKS unreachable → 503 auth_unavailable, before any other work', () => {
  let issuer: LocalJwtIssuer;
  let jwksUri: string;
  beforeAll(async () => {
    issuer = await startLocalJwtIssuer();
    jwksUri = `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`;
  });
  afterAll(() => issuer.close());

  test.each([
    ['model chat', (env: Record<string, string>) => startChatStack({ jwtIssuer: issuer, environment: env })],
    ['guest RAG', (env: Record<string, string>) => startRagChatStack({ jwtIssuer: issuer, passages: PASSAGES, environment: env })],
  ] as const)('%s with tokens', async (bundle, start) => {
    const stack = await start({ JWT_JWKS_URI: jwksUri });
    try {
      const response = await postChat(stack.url, { message: 'hi' }, { headers: { authorization: `Bearer ${await issuer.sign({ sub: 'alice' })}` } });
      expect(response.status).toBe(503);
      expect(errorCode(response)).toBe('auth_unavailable');
      expect(stack.emulator.requests).toHaveLength(0);
      observed.push({ fault: 'JWKS unreachable', bundle, got: '503 `auth_unavailable`; nothing else called' });
    } finally {
      await stack.close();
    }
  });

  test('stored chat (agent)', async () => {
    const stack = await startJwtChatStack({ backend: 'agent', jwksUri });
    try {
      const response = await stack.request('POST', '/chat', { token: await stack.token('alice'), body: { prompt: 'hi' } });
      expect(response.status).toBe(503);
      expect(errorCode(response)).toBe('auth_unavailable');
      expect(stack.dynamo.calls).toHaveLength(0);
      observed.push({ fault: 'JWKS unreachable', bundle: 'stored chat (agent)', got: '503 `auth_unavailable`; no DynamoDB or Bedrock call' });
    } finally {
      await stack.close();
    }
  });
});
