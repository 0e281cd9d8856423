/**
 * The model-chat mode with `CHAT_AUTH_MODE=jwt`: the REAL entry module behind a Function-URL-like server with
 * auth NONE (no authorizer in the events), tokens from a local issuer whose JWKS is served on 127.0.0.1.
 * The token is verified before any other work, and the caller (the rate-limit key) is the token's subject.
 */

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLER_HEADER } from '../../../../../tools/local/function-url-server';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../../../tools/local/jwt-issuer';
import {
  type ChatHttpResponse,
  type ChatStack,
  parseSse,
  postChat,
  startChatStack,
  TEST_RATE_LIMIT_NAMESPACE,
} from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const LIMIT = 2;
const logs = useLogCapture();
let issuer: LocalJwtIssuer;
let stack: ChatStack;

beforeAll(async () => {
  issuer = await startLocalJwtIssuer();
  stack = await startChatStack({ jwtIssuer: issuer, requestsPerMinute: LIMIT, emulator: { tokenDelayMs: 1, answer: 'hello there' } });
});

afterAll(async () => {
  await stack.close();
  await issuer.close();
});

beforeEach(() => stack.emulator.reset());

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A 401 with the code and the challenge, and no DynamoDB write or Bedrock call. */
async function expectRefusedBeforeAnyWork(response: ChatHttpResponse, code: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="chat"/);
  expect(stack.emulator.requests).toEqual([]);
  expect(await stack.rateLimitItems()).toEqual([]);
}

describe('refused before any other work', () => {
  test('no token → 401 token_missing with the bare challenge', async () => {
    await expectRefusedBeforeAnyWork(await postChat(stack.url, { message: 'hi' }), 'token_missing');
  });

  test('a SigV4 Authorization header is not a token → 401 token_missing', async () => {
    const sigv4 = {
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=abc',
    };
    await expectRefusedBeforeAnyWork(await postChat(stack.url, { message: 'hi' }, { headers: sigv4 }), 'token_missing');
  });

  test('a token signed by someone else, or expired → 401 before the body is even read', async () => {
    const foreign = await startLocalJwtIssuer();
    try {
      const forged = await foreign.sign({ sub: 'alice' }, { issuer: issuer.issuer, audience: issuer.audience });
      await expectRefusedBeforeAnyWork(await postChat(stack.url, undefined, { rawBody: '{broken', headers: bearer(forged) }), 'token_unknown_key');
    } finally {
      await foreign.close();
    }
    const expired = await issuer.sign({ sub: 'alice' }, { expiresInSeconds: -120 });
    await expectRefusedBeforeAnyWork(await postChat(stack.url, { message: 'hi' }, { headers: bearer(expired) }), 'token_expired');
  });

  test('without a token even the method is not revealed: GET → 401; with one, GET → 405', async () => {
    await expectRefusedBeforeAnyWork(await postChat(stack.url, undefined, { method: 'GET' }), 'token_missing');
    const get = await postChat(stack.url, undefined, { method: 'GET', headers: bearer(await issuer.sign({ sub: 'carol' })) });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });
});

test('a valid token → the answer streams as with IAM auth; the summary line says callerKind jwt and never carries the token', async () => {
  const token = await issuer.sign({ sub: 'dave' });
  const response = await postChat(stack.url, { message: 'Hello?' }, { headers: { ...bearer(token), accept: 'text/event-stream' } });
  expect(response.status).toBe(200);
  const events = parseSse(response.body);
  expect(
    events
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join(''),
  ).toBe('hello there');
  expect(events.at(-1)).toMatchObject({ event: 'done', data: { stopReason: 'end_turn', model: 'haiku' } });
  expect(stack.emulator.requests).toHaveLength(1);
  const line = logs.json().find((entry) => entry.event === 'chat_request');
  expect(line).toMatchObject({ outcome: 'ok', status: 200, callerKind: 'jwt', rateLimitCount: 1 });
  expect(logs.text()).not.toContain(token.split('.')[2]);
  expect(logs.text()).not.toContain('dave');
});

test(`the rate limit is keyed by the token's subject: two tokens of one user share ${LIMIT} requests, another user has their own`, async () => {
  // The window is the wall-clock minute: start a burst with at least 10 s of it left.
  const msLeft = 60_000 - (Date.now() % 60_000);
  if (msLeft < 10_000) await sleep(msLeft + 100);
  const window = Math.floor(Date.now() / 60_000);

  const [first, second] = [await issuer.sign({ sub: 'erin' }), await issuer.sign({ sub: 'erin', jti: 'another-token' })];
  // The local server's caller header (an IAM identity) has no say: only the token counts.
  const statuses = [
    (await postChat(stack.url, { message: 'one' }, { headers: { ...bearer(first), [CALLER_HEADER]: 'x' } })).status,
    (await postChat(stack.url, { message: 'two' }, { headers: { ...bearer(second), [CALLER_HEADER]: 'y' } })).status,
    (await postChat(stack.url, { message: 'three' }, { headers: bearer(first) })).status,
  ];
  const other = await postChat(stack.url, { message: 'mine' }, { headers: bearer(await issuer.sign({ sub: 'frank' })) });
  expect(Math.floor(Date.now() / 60_000)).toBe(window);
  expect(statuses).toEqual([200, 200, 429]);
  expect(other.status).toBe(200);

  const erinKey = `${TEST_RATE_LIMIT_NAMESPACE}#${createHash('sha256').update('jwt:erin').digest('hex')}#${window}`;
  const items = await stack.rateLimitItems();
  expect(items.find((item) => item.pk?.S === erinKey)?.requests?.N).toBe('3');
});
