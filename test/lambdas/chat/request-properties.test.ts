/**
 * Whatever a request carries, every chat handler answers 2xx or a 4xx JSON error with a stable code
 * (contract/errors.ts): never a 5xx, a hang or an exception. Generated with fast-check over every route and mode of
 * every bundle (model chat with IAM, with a token, with the caller's credentials; guest RAG; stored chats with a
 * model and with an agent; the OpenAI-compatible completions API): any method, path, query, header set, and body
 * (random JSON, random bytes, base64, invalid UTF-8, lone surrogates, huge strings, wrong types, near-valid
 * requests with one field off).
 *
 * The handlers run in-process with their real configuration, authentication and request handling; only the
 * upstreams are stand-ins (test/support/in-process-chat.ts), since most requests are refused before reaching them.
 *
 * Seed: random per run and printed; `FC_SEED=<seed>` replays a run, `FC_SEED=<seed> FC_PATH=<path>` with
 * `-t '<test name>'` replays exactly the failing case fast-check reports (its message names both).
 */
import * as fc from 'fast-check';
import { ERROR_CODES } from '../../../contract/errors';
import { LIMITS } from '../../../contract/limits';
import type { StreamHandler } from '../../../lambdas/chat/core/invocation';
import type { FunctionUrlEvent, IamAuthorizer } from '../../../lambdas/chat/http/event';
import {
  ALLOWED_REGIONS,
  API_KEY,
  buildInProcessChat,
  GUEST_ROLE_ARN,
  type HandlerAnswer,
  type InProcessChat,
  invokeHandler,
  KNOWN_CHAT_ID,
  MODELS,
} from '../../support/in-process-chat';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 0x7fffffff);
const PATH = process.env.FC_PATH;
if (!Number.isInteger(SEED)) throw new Error(`FC_SEED must be an integer, not ${process.env.FC_SEED}`);

/** Cases per property; their sum is what one run generates (at least 10,000). */
const RUNS = {
  modelChatIam: 1_600,
  modelChatJwt: 1_300,
  modelChatCallerCredentials: 1_100,
  guestRag: 1_300,
  storedModelChat: 1_600,
  storedAgentChat: 1_000,
  agentChat: 800,
  completions: 1_900,
  partialEvents: 500,
};

let chat: InProcessChat;
let generated = 0;
/** Answers per property, by status and code: printed, so a run shows what it reached (200s included). */
const outcomes = new Map<string, Map<string, number>>();
function tally(property: string, answer: HandlerAnswer): void {
  const code = answer.status >= 400 ? (JSON.parse(answer.body) as { error: { code: string } }).error.code : 'ok';
  const byOutcome = outcomes.get(property) ?? new Map<string, number>();
  const key = `${answer.status} ${code}`;
  byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
  outcomes.set(property, byOutcome);
}
let validToken = '';
let expiredToken = '';
let foreignToken = '';

beforeAll(async () => {
  chat = await buildInProcessChat();
  validToken = await chat.token({ sub: 'alice' });
  expiredToken = await chat.token({ sub: 'alice' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
  foreignToken = await chat.token({ sub: 'alice' }, { issuer: 'https://elsewhere.example.com/' });
  console.log(`request properties: seed ${SEED}${PATH ? `, path ${PATH}` : ''} (replay: FC_SEED=${SEED} npx jest ${__filename})`);
});

afterAll(() => {
  const table = [...outcomes].map(([property, byOutcome]) => {
    const counts = [...byOutcome].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${outcome}: ${n}`);
    return `  ${property}\n    ${counts.join(', ')}`;
  });
  console.log(`request properties: ${generated} generated cases, seed ${SEED}\n${table.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Generators

const unicodeText = fc.string({ unit: 'grapheme', maxLength: 40 });
const binaryText = fc.string({ unit: 'binary', maxLength: 40 });
const loneSurrogates = fc
  .array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 })
  .map((units) => String.fromCharCode(...units));
const text = fc.oneof(fc.string({ maxLength: 30 }), unicodeText, binaryText, loneSurrogates, fc.constantFrom('', ' ', '<p> </p>', '\u0000', 'hi'));
/** Strings near and over the size limits (built by repetition: generating them char by char is slow). */
const hugeText = fc
  .tuple(fc.constantFrom('x', 'é', '😀', ' ', '<b>', '\u202e'), fc.constantFrom(LIMITS.maxMessageChars, LIMITS.maxMessageChars + 1, 20_000, 70_000))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)));
/** URL-encoded where it can be (a lone surrogate cannot): raw otherwise, as a client that does not encode would send it. */
function encodeLoosely(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}
const anyJson = fc.jsonValue({ maxDepth: 3 });
const anyValue = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(null) });
/** Names that hit Object.prototype when used as a key of a plain object. */
const protoKeys = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype');

/** Extra properties on a request object: random names, prototype names, random values. */
const extras = fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), protoKeys), anyValue, { maxKeys: 3 });

function withExtras<T extends object>(body: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(body, extras).map(([main, more]) => Object.assign(Object.create(null), more, main) as Record<string, unknown>);
}

const turn = fc.record(
  { role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool', 'USER'), text, anyJson), content: fc.oneof(text, anyJson, hugeText) },
  { requiredKeys: [] },
);
const history = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.array(turn, { maxLength: 6 }),
  fc.array(fc.constantFrom({ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }), { maxLength: 50 }),
  anyJson,
);
const modelName = fc.oneof(fc.constantFrom(...Object.keys(MODELS), ...Object.values(MODELS), 'opus', 'gpt-4o'), protoKeys, anyValue);

const accessKeyId = fc.oneof(
  fc.constantFrom('AKIAIOSFODNN7EXAMPLE', 'ASIAIOSFODNN7EXAMPLE', 'AKIA', 'akiaiosfodnn7example'),
  fc.stringMatching(/^(AKIA|ASIA)[A-Z0-9]{12,20}$/),
  anyValue,
);
const secretAccessKey = fc.oneof(fc.constant('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), fc.stringMatching(/^[A-Za-z0-9/+=]{10,50}$/), anyValue);
const awsCredentials = fc.oneof(
  fc.record(
    {
      accessKeyId,
      secretAccessKey,
      sessionToken: fc.oneof(fc.stringMatching(/^[A-Za-z0-9/+=_-]{10,40}$/), anyValue),
      region: fc.oneof(fc.constantFrom(...ALLOWED_REGIONS, 'us-west-2', 'eu-west-1 ', '../../', 'localhost:8080'), anyValue),
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

/**
 * Requests around `valid` ones: valid as they are, with one field replaced by anything or removed, or with the
 * fields of `loose` (each valid, off or absent).
 */
function requestsAround(
  valid: fc.Arbitrary<Record<string, unknown>>,
  loose: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  const mutated = fc.tuple(valid, fc.nat(), fc.option(anyValue, { nil: undefined, freq: 4 })).map(([request, pick, value]) => {
    const keys = Object.keys(request);
    if (keys.length === 0) return request;
    const copy: Record<string, unknown> = { ...request };
    const key = keys[pick % keys.length] as string;
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  });
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 4, arbitrary: mutated }, { weight: 2, arbitrary: loose });
}

const shortText = fc.oneof(fc.constantFrom('What are the opening hours?', 'Hi', 'Grüße 😀'), fc.string({ minLength: 1, maxLength: 30 }), unicodeText);
const validHistory = fc.array(fc.tuple(shortText, shortText), { maxLength: 4 }).map((pairs) =>
  pairs.flatMap(([question, answer]) => [
    { role: 'user', content: question },
    { role: 'assistant', content: answer },
  ]),
);
const validCredentials = fc.record({
  accessKeyId: fc.constantFrom('AKIAIOSFODNN7EXAMPLE', 'AKIA0123456789ABCDEF'),
  secretAccessKey: fc.constant('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
  region: fc.constantFrom(...ALLOWED_REGIONS),
});
const validChatRequest = fc.record(
  { message: shortText, history: validHistory, model: fc.constantFrom(...Object.keys(MODELS)), awsCredentials: validCredentials },
  { requiredKeys: ['message', 'awsCredentials'] },
);

/** A caller-sent-turns request (`{ message, history, model }`), each field valid, off or absent. */
const looseChatRequest = withExtras(
  fc.record(
    {
      message: fc.oneof(
        { weight: 4, arbitrary: fc.oneof(text, fc.constant('What are the opening hours?')) },
        { weight: 1, arbitrary: hugeText },
        anyValue,
      ),
      history,
      model: modelName,
      awsCredentials,
    },
    { requiredKeys: [] },
  ),
);

const chatRequest = requestsAround(validChatRequest, looseChatRequest);

/** An agent-chat request: a chat request plus `agentId`, `agentAliasId` and `sessionId`, each valid, off or absent. */
const agentId = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('AGENT12345', 'TSTALIASID', 'A1') }, text, anyValue);
const agentRequest = requestsAround(
  fc.record(
    {
      message: shortText,
      agentId: fc.constant('AGENTALICE'),
      agentAliasId: fc.constant('ALIASA0001'),
      sessionId: fc.constantFrom('s1', 'conversation-1'),
      awsCredentials: validCredentials,
    },
    { requiredKeys: ['message', 'awsCredentials'] },
  ),
  withExtras(
    fc.record(
      {
        message: fc.oneof(text, hugeText, anyValue),
        agentId,
        agentAliasId: agentId,
        sessionId: fc.oneof(text, anyValue),
        awsCredentials,
        model: modelName,
      },
      { requiredKeys: [] },
    ),
  ),
);

const uuid = fc.uuid({ version: 4 });
/** A stored-chat request (`{ prompt, chat_id, model }`). */
const looseStoredRequest = withExtras(
  fc.record(
    {
      prompt: fc.oneof({ weight: 4, arbitrary: fc.oneof(text, fc.constant('Hello')) }, hugeText, anyValue),
      chat_id: fc.oneof(uuid, text, hugeText, anyValue),
      model: modelName,
    },
    { requiredKeys: [] },
  ),
);

const storedRequest = requestsAround(
  fc.record(
    { prompt: shortText, chat_id: fc.oneof(uuid, fc.constant(KNOWN_CHAT_ID)), model: fc.constantFrom(...Object.keys(MODELS)) },
    { requiredKeys: ['prompt'] },
  ),
  looseStoredRequest,
);

const dataUrl = fc
  .tuple(fc.constantFrom('png', 'jpeg', 'gif', 'webp', 'bmp', 'svg+xml'), fc.uint8Array({ maxLength: 40 }))
  .map(([format, bytes]) => `data:image/${format};base64,${Buffer.from(bytes).toString('base64')}`);
const contentPart = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.oneof(text, anyValue) }, { requiredKeys: ['type'] }),
  fc.record(
    {
      type: fc.constant('image_url'),
      image_url: fc.oneof(
        fc.record(
          { url: fc.oneof(dataUrl, fc.constantFrom('https://example.com/cat.png', 'file:///etc/passwd', 'data:,'), text), detail: anyValue },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record({ type: fc.oneof(fc.constantFrom('input_audio', 'file', 'refusal'), text), text: anyValue }, { requiredKeys: [] }),
  anyJson,
);
const toolCall = fc.record(
  {
    id: fc.oneof(fc.constantFrom('call_1', 'call_2'), anyValue),
    type: fc.oneof(fc.constant('function'), anyValue),
    function: fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('get_weather', 'bad name!'), anyValue),
          arguments: fc.oneof(fc.constant('{"city":"Paris"}'), fc.constant('{'), anyValue),
        },
        { requiredKeys: [] },
      ),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);
const completionMessage = fc.oneof(
  fc.record(
    {
      role: fc.oneof(fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function'), anyValue),
      content: fc.oneof(text, fc.array(contentPart, { maxLength: 4 }), fc.constant(null), anyJson, hugeText),
      tool_calls: fc.oneof(fc.array(toolCall, { maxLength: 3 }), anyValue),
      tool_call_id: fc.oneof(fc.constantFrom('call_1', 'call_2'), anyValue),
      name: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyJson,
);
const tool = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constant('function'), anyValue),
      function: fc.oneof(
        fc.record(
          {
            name: fc.oneof(fc.constantFrom('get_weather', 'x'.repeat(65), 'bad name!'), anyValue),
            description: anyValue,
            parameters: fc.oneof(fc.constant({ type: 'object', properties: { city: { type: 'string' } } }), anyJson),
            strict: anyValue,
          },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
    },
    { requiredKeys: [] },
  ),
  anyJson,
);
/** An OpenAI chat completions request, each parameter valid, off or absent. */
const looseCompletionRequest = withExtras(
  fc.record(
    {
      model: modelName,
      messages: fc.oneof(fc.array(completionMessage, { maxLength: 5 }), fc.constant([{ role: 'user', content: 'Hi' }]), anyJson),
      stream: fc.oneof(fc.boolean(), anyValue),
      stream_options: fc.oneof(fc.record({ include_usage: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: [] }), anyValue),
      max_tokens: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), anyValue),
      max_completion_tokens: fc.oneof(fc.integer({ min: -10, max: 100_000 }), anyValue),
      temperature: fc.oneof(fc.double({ min: -1, max: 3 }), anyValue),
      top_p: fc.oneof(fc.double({ min: -1, max: 2 }), anyValue),
      stop: fc.oneof(text, fc.array(text, { maxLength: 6 }), anyValue),
      tools: fc.oneof(fc.array(tool, { maxLength: 3 }), anyValue),
      tool_choice: fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        fc.constant({ type: 'function', function: { name: 'get_weather' } }),
        anyValue,
      ),
      response_format: fc.oneof(
        fc.constantFrom({ type: 'text' }, { type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } }),
        anyValue,
      ),
      n: fc.oneof(fc.constantFrom(1, 2), anyValue),
      logprobs: fc.oneof(fc.boolean(), anyValue),
      seed: fc.oneof(fc.integer(), anyValue),
      user: anyValue,
      awsCredentials,
    },
    { requiredKeys: [] },
  ),
);

const PNG_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const validCompletionRequest = fc.record(
  {
    model: fc.constantFrom(...Object.keys(MODELS), ...Object.values(MODELS)),
    messages: fc
      .tuple(
        fc.option(fc.record({ role: fc.constantFrom('system', 'developer'), content: shortText }), { nil: undefined }),
        validHistory,
        fc.oneof(
          shortText,
          fc
            .tuple(shortText, fc.boolean())
            .map(([question, image]) => [
              { type: 'text', text: question },
              ...(image ? [{ type: 'image_url', image_url: { url: PNG_DATA_URL } }] : []),
            ]),
        ),
      )
      .map(([system, turns, content]) => [...(system ? [system] : []), ...turns, { role: 'user', content }]),
    stream: fc.boolean(),
    stream_options: fc.record({ include_usage: fc.boolean() }),
    max_tokens: fc.integer({ min: 1, max: 512 }),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    stop: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }),
    tools: fc.constant([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ]),
    tool_choice: fc.constantFrom('auto', 'none', 'required'),
    response_format: fc.constantFrom({ type: 'text' }, { type: 'json_object' }),
    user: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['model', 'messages'] },
);
const completionRequest = requestsAround(validCompletionRequest, looseCompletionRequest);

interface BodySpec {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** Every kind of body, around the requests a handler understands (`request`). */
function bodies(request: fc.Arbitrary<unknown>, maxBytes: number): fc.Arbitrary<BodySpec> {
  const json = (value: unknown): string => JSON.stringify(value) ?? 'null';
  return fc.oneof(
    { weight: 6, arbitrary: request.map((value) => ({ body: json(value) })) },
    { weight: 2, arbitrary: request.map((value) => ({ body: Buffer.from(json(value)).toString('base64'), isBase64Encoded: true })) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.constantFrom({ body: '' }, { body: 'null' }, { body: '[]' }, { body: '{}' }, { body: '"hi"' }, { body: '{"message": "hi"' }),
    },
    { weight: 2, arbitrary: anyJson.map((value) => ({ body: json(value) })) },
    { weight: 1, arbitrary: fc.oneof(text, fc.string({ maxLength: 200 })).map((body) => ({ body })) },
    // Random bytes, base64-encoded as the Function URL sends binary bodies; and text that is not base64 at all.
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true })),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((body) => ({ body, isBase64Encoded: true })) },
    // Invalid UTF-8 inside an otherwise valid request.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('message', 'prompt', 'model'),
          fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => Buffer.from([0xc3, 0x28, 0xff, ...bytes])),
        )
        .map(([field, bad]) => ({
          body: Buffer.concat([Buffer.from(`{"${field}":"`), bad, Buffer.from('","messages":[{"role":"user","content":"hi"}]}')]).toString('base64'),
          isBase64Encoded: true,
        })),
    },
    // Just under and over the byte limit (built once: a 5 MB string per case would be slow).
    { weight: 1, arbitrary: fc.constantFrom(...[-2, 0, 1, 100].map((over) => ({ body: `{"message":"${'x'.repeat(maxBytes + over - 14)}"}` }))) },
  );
}

/** Methods: mostly those a handler serves (`served`, by weight), some others, some nonsense. */
function methods(served: Record<string, number>): fc.Arbitrary<string> {
  return fc.oneof(
    ...Object.entries(served).map(([name, weight]) => ({ weight, arbitrary: fc.constant(name) })),
    { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'post', 'get', 'TRACE', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
}
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    'limit=5',
    'limit=0',
    'limit=-1',
    'limit=1e3',
    'limit=101',
    'limit=abc',
    'limit=5&limit=6',
    'cursor=',
    'cursor=abc',
    '%',
    '%zz=1',
    'a=%E0%A4%A',
  ),
  fc
    .tuple(fc.constantFrom('limit', 'cursor', 'x'), fc.oneof(text, fc.base64String({ maxLength: 40 })))
    .map(([name, value]) => `${name}=${encodeLoosely(value)}`),
  fc.string({ maxLength: 40 }),
);
const headerName = fc.oneof(
  fc.constantFrom('accept', 'content-type', 'content-length', 'x-forwarded-for', 'origin', 'id_token', 'transfer-encoding'),
  fc.string({ maxLength: 12 }),
);
const headerValue = fc.oneof(text, fc.constantFrom('text/event-stream', 'application/json', 'text/event-stream;q=0', '*/*', '-1', '99999999999'));
const accept = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('text/event-stream', 'application/json', 'text/event-stream, */*', 'TEXT/EVENT-STREAM'),
  text,
);

interface EventSpec {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body: BodySpec;
  readonly sourceIp: string | undefined;
  readonly iam: IamAuthorizer | null;
}

const sourceIp = fc.oneof(
  { weight: 4, arbitrary: fc.ipV4() },
  { weight: 2, arbitrary: fc.ipV6() },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'unknown', '::ffff:1.2.3.4', 'fe80::1%eth0', '1.2.3.4, 5.6.7.8') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** The IAM identities an `AWS_IAM` Function URL can pass on: a guest, another assumed role, a user, a root; some fields absent. */
const sessionName = fc.stringMatching(/^[\w+=,.@-]{2,64}$/);
const iamIdentity: fc.Arbitrary<IamAuthorizer | null> = fc.oneof(
  sessionName.map((session) => ({
    accountId: '123456789012',
    userArn: `arn:aws:sts::123456789012:assumed-role/GuestRole/${session}`,
    cognitoIdentity: { amr: ['unauthenticated'], identityId: 'eu-west-1:1111', identityPoolId: 'eu-west-1:2222' },
  })),
  sessionName.map((session) => ({
    accountId: '123456789012',
    userArn: `arn:aws:sts::123456789012:assumed-role/${GUEST_ROLE_ARN.split('/')[1]}/${session}`,
  })),
  sessionName.map((session) => ({ accountId: '123456789012', userArn: `arn:aws:sts::123456789012:assumed-role/AppRole/${session}` })),
  fc.constantFrom(
    { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:user/alice', userId: 'AIDAEXAMPLE' },
    { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:root' },
    { accountId: '123456789012' },
    {},
    { cognitoIdentity: null },
  ),
  fc.constant(null),
);

function events(options: {
  methods: fc.Arbitrary<string>;
  paths: fc.Arbitrary<string>;
  body: fc.Arbitrary<BodySpec>;
  authorization: fc.Arbitrary<Record<string, string>>;
  iam?: fc.Arbitrary<IamAuthorizer | null>;
}): fc.Arbitrary<EventSpec> {
  return fc.record({
    method: options.methods,
    path: fc.oneof(
      { weight: 8, arbitrary: options.paths },
      { weight: 1, arbitrary: fc.webPath() },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    ),
    query,
    headers: fc
      .tuple(fc.dictionary(headerName, headerValue, { maxKeys: 3 }), accept, options.authorization)
      .map(([random, acceptValue, auth]) => ({ ...random, ...(acceptValue === undefined ? {} : { accept: acceptValue }), ...auth })),
    body: options.body,
    sourceIp,
    iam: options.iam ?? fc.constant(null),
  });
}

function toEvent(spec: EventSpec): FunctionUrlEvent {
  return {
    version: '2.0',
    rawPath: spec.path,
    rawQueryString: spec.query,
    headers: { host: 'abcdefghij.lambda-url.eu-west-1.on.aws', ...spec.headers },
    requestContext: {
      requestId: 'request',
      http: { method: spec.method, path: spec.path, ...(spec.sourceIp === undefined ? {} : { sourceIp: spec.sourceIp }), userAgent: 'fast-check' },
      ...(spec.iam ? { authorizer: { iam: spec.iam } } : {}),
    },
    ...(spec.body.body === undefined ? {} : { body: spec.body.body }),
    isBase64Encoded: spec.body.isBase64Encoded ?? false,
  };
}

/** Bearer tokens: valid, expired, foreign, malformed, other schemes, two different tokens, huge. */
type TokenKind = 'valid' | 'expired' | 'foreign' | 'none';
function bearerHeaders(): fc.Arbitrary<Record<string, string>> {
  const token = (kind: TokenKind): string => ({ valid: validToken, expired: expiredToken, foreign: foreignToken, none: '' })[kind];
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant<TokenKind>('valid').map((kind) => ({ authorization: `Bearer ${token(kind)}` })) },
    { weight: 1, arbitrary: fc.constantFrom<TokenKind>('expired', 'foreign').map((kind) => ({ authorization: `Bearer ${token(kind)}` })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant('valid' as TokenKind).map((kind) => ({ id_token: token(kind) })) },
    {
      weight: 1,
      arbitrary: fc.constant('valid' as TokenKind).map((kind) => ({ authorization: `Bearer ${token(kind)}`, id_token: `${token(kind)}x` })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          text,
          fc.base64String({ maxLength: 60 }),
          fc.constantFrom(
            'Bearer',
            'Bearer ',
            'bearer a.b.c',
            'Basic dXNlcjpwYXNz',
            'Bearer eyJhbGciOiJub25lIn0.e30.',
            `Bearer ${'a'.repeat(17_000)}`,
          ),
          // A valid token with one character changed: a bad signature or a malformed part.
          fc
            .integer({ min: 0, max: 200 })
            .map((at) => `Bearer ${validToken.slice(0, at)}${validToken[at] === 'A' ? 'B' : 'A'}${validToken.slice(at + 1)}`),
        )
        .map((authorization) => ({ authorization })),
    },
  );
}

function apiKeyHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant({ authorization: `Bearer ${API_KEY}` }) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(text, fc.constantFrom('Bearer', `Bearer ${API_KEY} extra`, `bearer ${API_KEY}`, `Bearer ${'k'.repeat(300)}`, 'Bearer sk-unknown'))
        .map((authorization) => ({ authorization })),
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The property

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/**
 * Runs `assertion` (an `expect`) only when the plain check `ok` fails, so a failure reads exactly as the assertion's
 * own; each `ok` is at least as strict as its assertion. Building an `expect` for each check of each of the ~11,000
 * cases cost ~3 s of the suite's ~12 s of CPU.
 */
function check(ok: boolean, assertion: () => void): void {
  if (!ok) assertion();
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Checks one answer; `dialect` is the shape of error bodies (`openai` for the completions API). */
function checkAnswer(answer: HandlerAnswer, dialect: 'chat' | 'openai'): void {
  const { status, headers, body } = answer;
  const okStatus = (status >= 200 && status < 300) || (status >= 400 && status < 500);
  if (!okStatus) throw new Error(`status ${status}: ${body.slice(0, 300)}`);
  check(isString(headers['x-request-id']), () => expect(headers['x-request-id']).toEqual(expect.any(String)));
  check(headers['cache-control'] === 'no-store', () => expect(headers['cache-control']).toBe('no-store'));
  if (status < 400) return;
  check(headers['content-type'] === 'application/json; charset=utf-8', () => expect(headers['content-type']).toBe('application/json; charset=utf-8'));
  const parsed = JSON.parse(body) as { error?: Record<string, unknown> };
  const error = parsed.error ?? {};
  if (!KNOWN_CODES.has(String(error.code))) throw new Error(`unknown code ${String(error.code)} (status ${status})`);
  check(isString(error.message), () => expect(error.message).toEqual(expect.any(String)));
  if (dialect === 'openai') check(isString(error.type), () => expect(error.type).toEqual(expect.any(String)));
  else {
    const keys = Object.keys(error).sort();
    check(keys.length === 2 && keys[0] === 'code' && keys[1] === 'message', () => expect(keys).toEqual(['code', 'message']));
  }
  if (status === 405) check(isString(headers.allow), () => expect(headers.allow).toEqual(expect.any(String)));
  if (status === 401) {
    const challenge = headers['www-authenticate'];
    check(isString(challenge) && /^Bearer realm=/.test(challenge), () => expect(challenge).toMatch(/^Bearer realm=/));
  }
  if (status === 429) {
    const retryAfter = headers['retry-after'];
    check(isString(retryAfter) && /^\d+$/.test(retryAfter), () => expect(retryAfter).toMatch(/^\d+$/));
  }
}

/** The handler's own record of the request: one summary line, never a 5xx or a bug, nothing logged at error level. */
function checkLogs(answer: HandlerAnswer): void {
  const lines = chat.takeLogs();
  const summary = lines.filter((line) => line.event === 'chat_request');
  check(summary.length === 1, () => expect(summary).toHaveLength(1));
  const [line] = summary;
  if (line?.outcome === 'internal_error' || lines.some((l) => l.level === 'error')) {
    throw new Error(`logged an error: ${JSON.stringify(lines).slice(0, 600)}`);
  }
  check(Object.is(line?.status, answer.status), () => expect(line?.status).toBe(answer.status));
}

async function runProperty(
  property: string,
  handler: StreamHandler,
  arbitrary: fc.Arbitrary<EventSpec>,
  numRuns: number,
  dialect: 'chat' | 'openai',
): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (spec) => {
        generated++;
        chat.takeLogs();
        const answer = await invokeHandler(handler, toEvent(spec));
        checkAnswer(answer, dialect);
        checkLogs(answer);
        tally(property, answer);
      }),
      { numRuns, seed: SEED, ...(PATH ? { path: PATH, endOnFailure: true } : {}) },
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
}

const chatMethods = methods({ POST: 10, GET: 1 });
const storedMethods = methods({ POST: 5, GET: 3, DELETE: 2 });
const completionsMethods = methods({ POST: 6, GET: 3 });
const chatBodies = bodies(chatRequest, LIMITS.maxBodyBytes);
const agentBodies = bodies(agentRequest, LIMITS.maxBodyBytes);
const chatPaths = fc.oneof(
  { weight: 8, arbitrary: fc.constant('/') },
  { weight: 2, arbitrary: fc.constantFrom('/health', '/diagnostics', '/chat', '//', '/health/', '/HEALTH') },
);

describe('every request gets 2xx or a 4xx JSON error with a stable code; never a 5xx, a hang or an exception', () => {
  test('model chat, IAM (a guest, an assumed role, a user; partial identities)', async () => {
    await runProperty(
      'modelChatIam',
      chat.handlers.modelChatIam,
      events({ methods: chatMethods, paths: chatPaths, body: chatBodies, authorization: fc.constant({}), iam: iamIdentity }),
      RUNS.modelChatIam,
      'chat',
    );
  });

  test('model chat, JWT on a public URL (counted per address first)', async () => {
    await runProperty(
      'modelChatJwt',
      chat.handlers.modelChatJwt,
      events({ methods: chatMethods, paths: chatPaths, body: chatBodies, authorization: bearerHeaders() }),
      RUNS.modelChatJwt,
      'chat',
    );
  });

  test("model chat with the caller's own credentials in the body", async () => {
    await runProperty(
      'modelChatCallerCredentials',
      chat.handlers.modelChatCallerCredentials,
      events({ methods: chatMethods, paths: chatPaths, body: chatBodies, authorization: fc.constant({}), iam: iamIdentity }),
      RUNS.modelChatCallerCredentials,
      'chat',
    );
  });

  test('guest RAG (IAM guests)', async () => {
    await runProperty(
      'guestRag',
      chat.handlers.guestRag,
      events({ methods: chatMethods, paths: chatPaths, body: chatBodies, authorization: fc.constant({}), iam: iamIdentity }),
      RUNS.guestRag,
      'chat',
    );
  });

  test('agent chat on a public URL with the caller’s own credentials, the agent named in the body (or not)', async () => {
    await runProperty(
      'agentChat',
      chat.handlers.agentChat,
      events({ methods: chatMethods, paths: chatPaths, body: agentBodies, authorization: fc.constant({}) }),
      RUNS.agentChat,
      'chat',
    );
  });

  const storedPaths = fc.oneof(
    { weight: 4, arbitrary: fc.constant('/chat') },
    { weight: 2, arbitrary: fc.constant('/chats') },
    fc.constantFrom('/chat', '/chat', '/chats', '/diagnostics', '/health', '/chats/', '/chat/', '/', '/chats//x'),
    { weight: 3, arbitrary: fc.oneof(uuid, fc.constant(KNOWN_CHAT_ID)).map((id) => `/chats/${id}`) },
    fc.oneof(text, fc.string({ maxLength: 300 })).map((id) => `/chats/${encodeLoosely(id)}`),
    fc.string({ maxLength: 40 }).map((id) => `/chats/${id}`),
  );
  const storedBodies = bodies(storedRequest, LIMITS.maxBodyBytes);

  test('stored chat with a model (JWT): POST /chat, GET /chats, GET and DELETE /chats/{id}, /diagnostics, /health', async () => {
    await runProperty(
      'storedModelChat',
      chat.handlers.storedModelChat,
      events({ methods: storedMethods, paths: storedPaths, body: storedBodies, authorization: bearerHeaders() }),
      RUNS.storedModelChat,
      'chat',
    );
  });

  test('stored chat with an agent (JWT)', async () => {
    await runProperty(
      'storedAgentChat',
      chat.handlers.storedAgentChat,
      events({ methods: storedMethods, paths: storedPaths, body: storedBodies, authorization: bearerHeaders() }),
      RUNS.storedAgentChat,
      'chat',
    );
  });

  test('completions: /v1/chat/completions, /v1/models, /v1/models/{id}, /health, /diagnostics (API keys)', async () => {
    const paths = fc.oneof(
      { weight: 8, arbitrary: fc.constant('/v1/chat/completions') },
      { weight: 2, arbitrary: fc.constant('/v1/models') },
      fc.constantFrom(
        '/v1/chat/completions',
        '/v1/chat/completions',
        '/v1/chat/completions/',
        '/v1/models',
        '/v1/models/',
        '/health',
        '/diagnostics',
        '/v1',
        '/',
      ),
      fc
        .constantFrom(...Object.keys(MODELS), ...Object.values(MODELS), 'gpt-4o', '%', '%E0%A4%A', '..%2F..', '__proto__', 'constructor')
        .map((m) => `/v1/models/${m}`),
      fc.oneof(text, fc.string({ maxLength: 300 })).map((m) => `/v1/models/${encodeLoosely(m)}`),
      fc.string({ maxLength: 40 }).map((m) => `/v1/models/${m}`),
    );
    await runProperty(
      'completions',
      chat.handlers.completions,
      events({
        methods: completionsMethods,
        paths,
        body: bodies(completionRequest, LIMITS.maxCompletionsBodyBytes),
        authorization: apiKeyHeaders(),
      }),
      RUNS.completions,
      'openai',
    );
  });

  test('partial events (fields absent, as a malformed or foreign event would be) on every handler', async () => {
    const handlerNames = Object.keys(chat.handlers) as Array<keyof InProcessChat['handlers']>;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...handlerNames),
          fc.record(
            {
              version: fc.constantFrom('2.0', '1.0'),
              rawPath: fc.oneof(fc.constantFrom('/', '/chat', '/health', '/v1/models'), fc.string({ maxLength: 10 })),
              rawQueryString: query,
              headers: fc.dictionary(headerName, headerValue, { maxKeys: 2 }),
              body: fc.oneof(fc.constant('{"message":"hi","prompt":"hi"}'), fc.string({ maxLength: 20 })),
              isBase64Encoded: fc.boolean(),
              requestContext: fc.record(
                {
                  requestId: fc.string({ maxLength: 5 }),
                  http: fc.record({ method: fc.constantFrom('GET', 'POST'), path: fc.constantFrom('/', '/chat'), sourceIp }, { requiredKeys: [] }),
                  authorizer: fc.oneof(fc.constant(null), fc.constant({ iam: null }), fc.constant({})),
                },
                { requiredKeys: [] },
              ),
            },
            { requiredKeys: [] },
          ),
          async (name, event) => {
            generated++;
            chat.takeLogs();
            const answer = await invokeHandler(chat.handlers[name], event as FunctionUrlEvent);
            checkAnswer(answer, name === 'completions' ? 'openai' : 'chat');
            checkLogs(answer);
            tally('partial events', answer);
          },
        ),
        { numRuns: RUNS.partialEvents, seed: SEED, ...(PATH ? { path: PATH, endOnFailure: true } : {}) },
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  test(`one run generates at least 10,000 cases (${Object.values(RUNS).reduce((a, b) => a + b, 0)} configured)`, () => {
    expect(Object.values(RUNS).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
    // Every property ran all its cases (the suite run whole, without -t or a replayed path).
    if (PATH === undefined && generated > 0) expect(generated).toBe(Object.values(RUNS).reduce((a, b) => a + b, 0));
  });
});
