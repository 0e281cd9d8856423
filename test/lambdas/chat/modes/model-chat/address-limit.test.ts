/**
 * A public URL (`CHAT_AUTH_MODE=jwt`) counts every request per source address BEFORE the token is verified
 * (`RATE_LIMIT_PER_ADDRESS_PER_MINUTE`, which the construct sets for public URLs): an unauthenticated flood is
 * counted and refused with 429, at one DynamoDB write per request and no token verification, no Bedrock call.
 * The REAL entry module behind the Function-URL-like server, dynalite and the local token issuer.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../../../tools/local/jwt-issuer';
import { type ChatStack, postChat, startChatStack, TEST_RATE_LIMIT_NAMESPACE } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const PER_ADDRESS = 3;
const logs = useLogCapture();
let issuer: LocalJwtIssuer;
let stack: ChatStack;

beforeAll(async () => {
  issuer = await startLocalJwtIssuer();
  stack = await startChatStack({ jwtIssuer: issuer, requestsPerMinute: 100, requestsPerAddress: PER_ADDRESS, emulator: { tokenDelayMs: 1 } });
});

afterAll(async () => {
  await stack.close();
  await issuer.close();
});

test(`requests without a valid token are counted per address: after ${PER_ADDRESS}, 429 with Retry-After, even with a valid token`, async () => {
  // The window is the wall-clock minute: start the burst with at least 10 s of it left.
  const msLeft = 60_000 - (Date.now() % 60_000);
  if (msLeft < 10_000) await sleep(msLeft + 100);
  const window = Math.floor(Date.now() / 60_000);

  const statuses: number[] = [];
  for (let i = 0; i < PER_ADDRESS; i++) statuses.push((await postChat(stack.url, { message: 'hi' })).status);
  const flood = await postChat(stack.url, { message: 'hi' }, { headers: { authorization: 'Bearer not.a.token' } });
  const valid = await postChat(stack.url, { message: 'hi' }, { headers: { authorization: `Bearer ${await issuer.sign({ sub: 'grace' })}` } });
  expect(Math.floor(Date.now() / 60_000)).toBe(window);

  expect(statuses).toEqual([401, 401, 401]);
  expect(flood.status).toBe(429);
  expect(flood.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining(`at most ${PER_ADDRESS} per minute`) } });
  expect(Number(flood.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(valid.status).toBe(429);
  expect(stack.emulator.requests).toEqual([]);

  // One counter for the address (the local server's 127.0.0.1), keyed by its hash: the address is not stored.
  const addressKey = `${TEST_RATE_LIMIT_NAMESPACE}#${createHash('sha256').update('address:127.0.0.1').digest('hex')}#${window}`;
  const items = await stack.rateLimitItems();
  expect(items.map((item) => item.pk?.S)).toEqual([addressKey]);
  expect(items[0]?.requests?.N).toBe(String(PER_ADDRESS + 2));
  expect(JSON.stringify(items)).not.toContain('127.0.0.1');
  const refused = logs.json().filter((entry) => entry.event === 'chat_request' && entry.outcome === 'rate_limited');
  expect(refused).toHaveLength(2);
  expect(refused[0]).toMatchObject({ status: 429 });
});
