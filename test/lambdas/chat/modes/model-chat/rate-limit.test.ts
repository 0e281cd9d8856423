/**
 * The rate limit of the real entry module against dynalite, over real HTTP, with concurrent requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLER_HEADER } from '../../../../../tools/local/function-url-server';
import { type ChatStack, postChat, startChatStack } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const LIMIT = 3;
const CONCURRENT = 8;

useLogCapture(); // keeps the handler's log lines out of the test output
let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ requestsPerMinute: LIMIT, emulator: { tokenDelayMs: 2, answer: 'ok' } });
});

afterAll(() => stack.close());

/**
 * The window is the wall-clock minute. If fewer than 10 s of it remain, wait for the next one (at most
 * 10 s), so a burst is never split over two windows.
 */
async function startOfFreshWindowIfNeeded(): Promise<void> {
  const msLeft = 60_000 - (Date.now() % 60_000);
  if (msLeft < 10_000) await sleep(msLeft + 100);
}

test(`with a limit of ${LIMIT}, exactly ${LIMIT} of ${CONCURRENT} concurrent requests from one caller pass; another caller is unaffected`, async () => {
  await startOfFreshWindowIfNeeded();
  const windowAtStart = Math.floor(Date.now() / 60_000);

  const responses = await Promise.all(
    Array.from({ length: CONCURRENT }, () => postChat(stack.url, { message: 'hi' }, { headers: { [CALLER_HEADER]: 'alice' } })),
  );
  const other = await postChat(stack.url, { message: 'hi' }, { headers: { [CALLER_HEADER]: 'bob' } });
  expect(Math.floor(Date.now() / 60_000)).toBe(windowAtStart); // the guard above held

  expect(responses.filter((r) => r.status === 200)).toHaveLength(LIMIT);
  const refused = responses.filter((r) => r.status === 429);
  expect(refused).toHaveLength(CONCURRENT - LIMIT);
  const secondsLeft = 60 - Math.floor((Date.now() % 60_000) / 1000);
  for (const response of refused) {
    expect(response.json().error.code).toBe('rate_limited');
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(retryAfter - secondsLeft)).toBeLessThanOrEqual(2);
  }
  expect(other.status).toBe(200);
  // Refused requests never reach the model.
  expect(stack.emulator.requests).toHaveLength(LIMIT + 1);

  // Every POST counts, so a caller over the limit gets 429 even for a malformed request.
  const malformed = await postChat(stack.url, undefined, { rawBody: '{not json', headers: { [CALLER_HEADER]: 'alice' } });
  expect(malformed.status).toBe(429);
  // Non-POST requests are refused before the limiter.
  const get = await postChat(stack.url, undefined, { method: 'GET', headers: { [CALLER_HEADER]: 'alice' } });
  expect(get.status).toBe(405);
});
