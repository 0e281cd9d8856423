/**
 * The guest chat client end to end, with the pieces `npm run local -- --mode rag` runs, in-process: the
 * Cognito Identity + STS stand-in (real SDK clients), the Function-URL-like server, the RAG entry module (real
 * SDK clients), the Bedrock emulator (Retrieve + ConverseStream) and dynalite.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatClientError, type ChatEvent, createGuestChatClient, type GuestChatClient } from '../../client/guest-chat-client';
import { REFRESH_BEFORE_EXPIRY_MS } from '../../client/guest-credentials';
import type { FunctionUrlEvent } from '../../lambdas/chat/http/event';
import type { ResponseStream } from '../../lambdas/chat/http/response-stream';
import { type FunctionUrlServer, startFunctionUrlServer } from '../../tools/local/function-url-server';
import {
  type GuestCredentialsEmulator,
  LOCAL_GUEST_ROLE_ARN,
  LOCAL_IDENTITY_POOL_ID,
  startGuestCredentialsEmulator,
} from '../../tools/local/guest-credentials-emulator';
import { type LambdaContext, streamifyResponse } from '../../tools/local/lambda-runtime';
import { TEST_REGION } from '../support/local-services';
import { useLogCapture } from '../support/log-capture';
import { type RagStack, startRagChatStack } from '../support/rag-services';

const WORDS = Array.from({ length: 8 }, (_, i) => `word${i + 1}`);
const ANSWER = WORDS.join(' ');
const TOKEN_DELAY_MS = 40;
const PASSAGES = [
  { text: 'Support hours: weekdays 9-17.', score: 0.9, uri: 's3://company-docs/support.md' },
  { text: 'Refunds take 14 days.', score: 0.6, uri: 's3://company-docs/refunds.md' },
];

const logs = useLogCapture();
let identity: GuestCredentialsEmulator;
let stack: RagStack;
let server: FunctionUrlServer;
/** The request headers and body the function received, newest last. */
const received: Array<{ headers: Record<string, string | undefined>; body: string }> = [];
let clock: number;
let client: GuestChatClient;

beforeAll(async () => {
  identity = await startGuestCredentialsEmulator();
  stack = await startRagChatStack({ passages: PASSAGES, emulator: { tokenDelayMs: TOKEN_DELAY_MS, answer: ANSWER } });
  // The same function, behind a server that also records what it receives (the signature headers).
  const recording = streamifyResponse(async (event: FunctionUrlEvent, stream: ResponseStream, context: LambdaContext) => {
    received.push({ headers: { ...event.headers }, body: event.body ?? '' });
    await (stack.entry.handler as (e: FunctionUrlEvent, s: ResponseStream, c: LambdaContext) => Promise<void>)(event, stream, context);
  });
  server = await startFunctionUrlServer({ handler: recording, port: 0 });
});

afterAll(async () => {
  await server.close();
  await stack.close();
  await identity.close();
});

beforeEach(() => {
  clock = Date.now();
  identity.reset();
  stack.emulator.reset();
  received.length = 0;
  client = createGuestChatClient({
    functionUrl: server.url,
    region: TEST_REGION,
    identityPoolId: LOCAL_IDENTITY_POOL_ID,
    guestRoleArn: LOCAL_GUEST_ROLE_ARN,
    endpoints: { cognitoIdentity: identity.url, sts: identity.url },
    now: () => clock,
  });
});

async function collect(events: AsyncIterable<ChatEvent>): Promise<Array<{ event: ChatEvent; at: number }>> {
  const out = [];
  for await (const event of events) out.push({ event, at: performance.now() });
  return out;
}

test('chat(): typed SSE events, the deltas streamed one by one, then done with sources', async () => {
  const events = await collect(client.chat({ message: 'When is support open?' }));
  const deltas = events.filter((e) => e.event.type === 'delta');
  expect(deltas.map((e) => (e.event as { text: string }).text).join('')).toBe(ANSWER);
  expect(deltas.length).toBeGreaterThan(1);
  // Streamed, not buffered: the deltas arrive spread over the time the model takes.
  expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThanOrEqual((WORDS.length - 1) * TOKEN_DELAY_MS * 0.5);
  expect(events.at(-1)!.event).toEqual({
    type: 'done',
    stopReason: 'end_turn',
    usage: { inputTokens: expect.any(Number), outputTokens: WORDS.length, totalTokens: expect.any(Number) },
    model: 'haiku',
    sources: [
      { title: 'support.md', score: 0.9 },
      { title: 'refunds.md', score: 0.6 },
    ],
    fallback: false,
  });
});

test('chatText(): the plain answer in several chunks', async () => {
  const chunks: string[] = [];
  for await (const text of client.chatText({ message: 'When is support open?', model: 'sonnet' })) chunks.push(text);
  expect(chunks.join('')).toBe(ANSWER);
  expect(chunks.length).toBeGreaterThan(1);
});

test('history and model are sent as given; the request is SigV4-signed for lambda in the region, body included', async () => {
  const history = [
    { role: 'user' as const, content: 'Hi' },
    { role: 'assistant' as const, content: 'Hello!' },
  ];
  await collect(client.chat({ message: 'When is support open?', history, model: 'sonnet' }));
  expect(received).toHaveLength(1);
  const { headers, body } = received[0]!;
  expect(JSON.parse(body)).toEqual({ message: 'When is support open?', history, model: 'sonnet' });
  const [credentials] = identity.issued;
  const day = new Date(clock).toISOString().slice(0, 10).replace(/-/g, '');
  expect(headers.authorization).toMatch(
    new RegExp(
      `^AWS4-HMAC-SHA256 Credential=${credentials!.accessKeyId}/${day}/${TEST_REGION}/lambda/aws4_request, ` +
        'SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$',
    ),
  );
  expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  expect(headers['x-amz-security-token']).toMatch(/^LOCAL-FAKE-SESSION-TOKEN-/);
  expect(headers['x-amz-date']).toBe(new Date(clock).toISOString().replace(/[:-]|\.\d{3}/g, ''));
  expect(headers.accept).toBe('text/event-stream');
});

test('credentials are fetched once for several chats and refreshed near expiry, keeping the identity (injected clock)', async () => {
  for (let i = 0; i < 3; i++) await collect(client.chat({ message: `Question ${i}` }));
  expect(identity.calls).toEqual({ GetId: 1, GetOpenIdToken: 1, AssumeRoleWithWebIdentity: 1 });
  const signedWith = (i: number): string => /Credential=([A-Z0-9]+)\//.exec(received[i]!.headers.authorization ?? '')![1]!;
  expect(new Set([0, 1, 2].map(signedWith)).size).toBe(1);

  clock = identity.issued[0]!.expiration.getTime() - REFRESH_BEFORE_EXPIRY_MS + 1_000;
  await collect(client.chat({ message: 'Question 3' }));
  expect(identity.calls).toEqual({ GetId: 1, GetOpenIdToken: 2, AssumeRoleWithWebIdentity: 2 });
  expect(signedWith(3)).toBe(identity.issued[1]!.accessKeyId);
  expect(signedWith(3)).not.toBe(signedWith(0));
});

test('an error before the answer → ChatClientError with the runtime code; no event is yielded', async () => {
  stack.emulator.injectFault('notFound', { times: Infinity, operation: 'Retrieve' });
  const seen: ChatEvent[] = [];
  const error = await (async () => {
    try {
      for await (const event of client.chat({ message: 'hi' })) seen.push(event);
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  stack.emulator.clearFaults();
  expect(seen).toEqual([]);
  expect(error).toBeInstanceOf(ChatClientError);
  expect(error).toMatchObject({ status: 404, code: 'knowledge_base_not_found', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
});

test('a failure after the answer started → an error event after the deltas', async () => {
  stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 2 }, { operation: 'ConverseStream' });
  const events = (await collect(client.chat({ message: 'hi' }))).map((e) => e.event);
  expect(events.map((e) => e.type)).toEqual(['delta', 'delta', 'error']);
  expect(events.at(-1)).toEqual({ type: 'error', code: 'upstream_error', message: expect.any(String) });
});

test('no guest credentials → ChatClientError credentials_unavailable (status 0)', async () => {
  const noPool = createGuestChatClient({
    functionUrl: server.url,
    region: TEST_REGION,
    identityPoolId: 'us-east-1:11111111-1111-4111-8111-111111111111',
    guestRoleArn: LOCAL_GUEST_ROLE_ARN,
    endpoints: { cognitoIdentity: identity.url, sts: identity.url },
  });
  await expect(noPool.chat({ message: 'hi' }).next()).rejects.toMatchObject({ name: 'ChatClientError', status: 0, code: 'credentials_unavailable' });
  expect(received).toHaveLength(0);
});

test('aborting stops the answer: the iteration rejects with the abort reason', async () => {
  const controller = new AbortController();
  const seen: ChatEvent[] = [];
  const run = (async () => {
    for await (const event of client.chat({ message: 'hi', signal: controller.signal })) {
      seen.push(event);
      if (seen.length === 2) controller.abort(new Error('user left'));
    }
  })();
  await expect(run).rejects.toThrow('user left');
  expect(seen.length).toBeLessThan(WORDS.length);
  // Like a real Function URL, the local server lets the invocation run on; wait for its log line (bounded).
  for (let i = 0; i < 100 && !logs.json().some((line) => line.event === 'chat_request'); i++) await sleep(20);
});

test('a 403 from the Function URL front end (fake fetch: the local server does not verify SigV4) → access_denied', async () => {
  const denied = createGuestChatClient({
    functionUrl: 'https://abcdefghij.lambda-url.eu-west-1.on.aws/',
    region: TEST_REGION,
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    fetch: async () => new Response(JSON.stringify({ Message: 'Forbidden' }), { status: 403, headers: { 'x-amzn-requestid': 'req-1' } }),
  });
  await expect(denied.chatText({ message: 'hi' }).next()).rejects.toMatchObject({
    status: 403,
    code: 'access_denied',
    message: 'Forbidden',
    requestId: 'req-1',
  });
});

describe('rate limit', () => {
  let limited: RagStack;
  beforeAll(async () => {
    limited = await startRagChatStack({ requestsPerMinute: 1, passages: PASSAGES, emulator: { tokenDelayMs: 1, answer: 'ok' } });
  });
  afterAll(() => limited.close());

  test('429 → ChatClientError rate_limited with retryAfter', async () => {
    // The window is the wall-clock minute: with under 10 s of it left, wait for the next one.
    const msLeft = 60_000 - (Date.now() % 60_000);
    if (msLeft < 10_000) await sleep(msLeft + 100);
    const guest = createGuestChatClient({
      functionUrl: limited.url,
      region: TEST_REGION,
      identityPoolId: LOCAL_IDENTITY_POOL_ID,
      guestRoleArn: LOCAL_GUEST_ROLE_ARN,
      endpoints: { cognitoIdentity: identity.url, sts: identity.url },
    });
    await collect(guest.chat({ message: 'first' }));
    let error: unknown;
    try {
      await collect(guest.chat({ message: 'second' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ChatClientError);
    const { status, code, retryAfter } = error as ChatClientError;
    expect({ status, code }).toEqual({ status: 429, code: 'rate_limited' });
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
