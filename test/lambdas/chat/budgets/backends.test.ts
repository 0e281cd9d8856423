/**
 * Usage budgets in the guest RAG function and the caller-credentials function (their real entries, dynalite, the
 * Bedrock emulator behind the Function-URL-like server): a guest is counted by its address, a request bringing its
 * own AWS credentials by their access key id (hashed: the clear id is stored nowhere). A spent day is 429 with the
 * budget's code and Retry-After to the next 00:00 UTC; another caller is unaffected.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { secondsToNextUtcDay } from '../../../../lambdas/chat/budgets/budget';
import { CALLER_HEADER, LOCAL_ACCOUNT_ID } from '../../../../tools/local/function-url-server';
import { FAKE_CREDENTIALS } from '../../../support/events';
import { type ChatHttpResponse, type ChatStack, parseSse, postChat, startChatStack, TEST_REGION } from '../../../support/local-services';
import { useLogCapture } from '../../../support/log-capture';
import { type RagStack, startRagChatStack } from '../../../support/rag-services';

useLogCapture();

const SSE = { accept: 'text/event-stream' };
const today = (): string => new Date().toISOString().slice(0, 10);
const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Done {
  usage: { totalTokens: number };
}
const usageOf = (response: ChatHttpResponse): number =>
  (parseSse(response.body).find((e) => e.event === 'done')?.data as Done | undefined)?.usage.totalTokens ?? Number.NaN;

/** The day items (`<namespace>#<caller hash>#day-<yyyy-mm-dd>`) of the table, by caller hash. */
function days(items: Array<Record<string, AttributeValue>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const match = /^[^#]+#([0-9a-f]{64})#day-(\d{4}-\d{2}-\d{2})$/.exec(item.pk?.S ?? '');
    if (match && match[2] === today()) out.set(match[1] as string, Number(item.tokens?.N ?? 0));
  }
  return out;
}

/** 429 with the budget's code, and Retry-After within a few seconds of the next UTC midnight. */
function expectSpent(response: ChatHttpResponse, code: string): void {
  expect({ status: response.status, code: response.json().error.code }).toEqual({ status: 429, code });
  const retryAfter = Number(response.headers['retry-after']);
  const expected = secondsToNextUtcDay(Date.now());
  // Both are read within the same few seconds: the header counts down to the same midnight.
  expect(retryAfter).toBeGreaterThanOrEqual(expected);
  expect(retryAfter).toBeLessThanOrEqual(expected + 30);
}

describe('guest RAG: per guest address', () => {
  const GUEST = 'guest';
  let stack: RagStack;
  beforeAll(async () => {
    stack = await startRagChatStack({
      emulator: { tokenDelayMs: 0, answer: 'Support answers on weekdays.' },
      passages: [{ text: 'Support hours: weekdays.', score: 0.9, uri: 's3://docs/published/support.md' }],
      environment: {
        BUDGET_TOKENS_PER_DAY: '1',
        BUDGET_FAIL_OPEN: 'false',
        // Sessions of this role are guests, counted by their source address.
        CHAT_GUEST_ROLE_ARNS: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/LocalChatCaller.${GUEST}`,
      },
    });
  }, 60_000);
  afterAll(() => stack.close());

  test('the first answer is counted exactly; the next is 429 token_budget_exhausted before any Retrieve; another caller goes on', async () => {
    const ask = (caller: string) => postChat(stack.url, { message: 'When is support open?' }, { headers: { ...SSE, [CALLER_HEADER]: caller } });
    const first = await ask(GUEST);
    expect(first.status).toBe(200);
    const counted = usageOf(first);
    expect(counted).toBeGreaterThan(0);
    expect(days(await stack.rateLimitItems())).toEqual(new Map([[hashOf('guest:127.0.0.1'), counted]]));

    stack.emulator.reset();
    expectSpent(await ask(GUEST), 'token_budget_exhausted');
    expect(stack.emulator.requests).toEqual([]);

    const staff = await ask('staff');
    expect(staff.status).toBe(200);
    expect(days(await stack.rateLimitItems()).size).toBe(2);
  });
});

describe('caller credentials: per access key id, hashed', () => {
  const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
  const BOB = { accessKeyId: 'AKIABOB0000000000001', secretAccessKey: 'bobSecretKey/000000000000000000000000001' };
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({
      emulator: {
        tokenDelayMs: 0,
        principals: [{ ...FAKE_CREDENTIALS, arn: 'arn:aws:sts::111111111111:assumed-role/ChatFunctionRole/fn', allowedActions: [] }, ALICE, BOB],
      },
      environment: {
        BEDROCK_ACCESS: 'caller-credentials',
        BEDROCK_ALLOWED_REGIONS: TEST_REGION,
        BUDGET_TOKENS_PER_DAY: '1',
        BUDGET_FAIL_OPEN: 'false',
      },
    });
  }, 60_000);
  afterAll(() => stack.close());

  test("each access key has its own day, even for one IAM caller; the table holds the key id's hash, never the id", async () => {
    const ask = (awsCredentials: typeof ALICE) => postChat(stack.url, { message: 'Hello', awsCredentials }, { headers: SSE });
    const first = await ask(ALICE);
    expect(first.status).toBe(200);
    const counted = usageOf(first);
    expect(days(await stack.rateLimitItems())).toEqual(new Map([[hashOf(`access_key:${hashOf(ALICE.accessKeyId)}`), counted]]));

    expectSpent(await ask(ALICE), 'token_budget_exhausted');
    // The same IAM caller with another key: that key's own day.
    expect((await ask(BOB)).status).toBe(200);
    const items = await stack.rateLimitItems();
    expect(days(items).size).toBe(2);
    const stored = JSON.stringify(items);
    for (const id of [ALICE.accessKeyId, BOB.accessKeyId]) expect(stored).not.toContain(id);
  });
});
