/**
 * An answer that fails after streaming began still counts against the caller's day, in the model chat (IAM callers,
 * and callers bringing their own credentials) and the guest RAG chat: their real entries, dynalite, the Bedrock
 * emulator failing the stream on demand. What is counted: the usage Bedrock reported when its `metadata` event
 * arrived before the failure, else the estimate of bedrock/usage-tally.ts (the request's text and the deltas received,
 * four characters a token); nothing when the stream failed before its first delta.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { UsageTally } from '../../../../lambdas/chat/bedrock/usage-tally';
import { totalTokens } from '../../../../lambdas/chat/budgets/budget';
import { CALLER_HEADER, LOCAL_ACCOUNT_ID } from '../../../../tools/local/function-url-server';
import { FAKE_CREDENTIALS } from '../../../support/events';
import { type ChatHttpResponse, type ChatStack, parseSse, postChat, startChatStack, TEST_REGION } from '../../../support/local-services';
import { useLogCapture } from '../../../support/log-capture';
import { type RagStack, startRagChatStack } from '../../../support/rag-services';

useLogCapture();

const SSE = { accept: 'text/event-stream' };
const BUDGET = { BUDGET_TOKENS_PER_DAY: '1000000', BUDGET_FAIL_OPEN: 'false' };

/** Today's token counts of the table's day items, by their key (a day the budget check created holds no count yet). */
function days(items: Array<Record<string, AttributeValue>>): Map<string, number> {
  const today = new Date().toISOString().slice(0, 10);
  return new Map(
    items
      .filter((item) => item.pk?.S?.endsWith(`#day-${today}`) && item.tokens !== undefined)
      .map((item): [string, number] => [item.pk?.S as string, Number(item.tokens?.N ?? 0)]),
  );
}

/** The counts of the days that changed between two reads. */
function changed(before: Map<string, number>, after: Map<string, number>): number[] {
  return [...after].filter(([key, tokens]) => before.get(key) !== tokens).map(([key, tokens]) => tokens - (before.get(key) ?? 0));
}

const deltasOf = (response: ChatHttpResponse): string[] =>
  parseSse(response.body)
    .filter((e) => e.event === 'delta')
    .map((e) => (e.data as { text: string }).text);
const eventsOf = (response: ChatHttpResponse): string[] => parseSse(response.body).map((e) => e.event);
const usageOf = (response: ChatHttpResponse): number =>
  (parseSse(response.body).find((e) => e.event === 'done')?.data as { usage: { totalTokens: number } } | undefined)?.usage.totalTokens ?? Number.NaN;

/** The estimate for what the model received (the request the emulator recorded) and the deltas the caller got. */
function estimate(requestBody: unknown, deltas: readonly string[]): number {
  const tally = new UsageTally();
  tally.request(requestBody as Parameters<UsageTally['request']>[0], undefined);
  for (const delta of deltas) tally.delta(delta);
  const soFar = tally.soFar();
  if (!soFar?.estimated) throw new Error('no estimate: no delta');
  return totalTokens(soFar.usage);
}

describe('model chat (IAM callers)', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({ emulator: { tokenDelayMs: 0 }, environment: BUDGET });
  }, 60_000);
  afterAll(() => stack.close());
  afterEach(() => stack.emulator.clearFaults());

  const ask = (caller: string, message: string) => postChat(stack.url, { message }, { headers: { ...SSE, [CALLER_HEADER]: caller } });

  test('a stream failing after 3 deltas, before any metadata: the estimate is counted', async () => {
    const before = days(await stack.rateLimitItems());
    stack.emulator.reset();
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 3 });
    const failed = await ask('mid-stream', 'Tell me about the weather in Paris in spring.');
    expect(failed.status).toBe(200);
    expect(eventsOf(failed)).toEqual(['delta', 'delta', 'delta', 'error']);
    const counted = changed(before, days(await stack.rateLimitItems()));
    expect(counted).toEqual([estimate(stack.emulator.requests[0]?.body, deltasOf(failed))]);
    expect(counted[0]).toBeGreaterThan(3);
  });

  test('a stream failing after its metadata event: exactly the usage Bedrock reported is counted', async () => {
    const message = 'What is the capital of Italy?';
    const answered = await ask('reference', message);
    expect(answered.status).toBe(200);
    const before = days(await stack.rateLimitItems());
    stack.emulator.injectFault({ type: 'midStreamError', afterMetadata: true });
    const failed = await ask('after-metadata', message);
    expect(eventsOf(failed).at(-1)).toBe('error');
    expect(deltasOf(failed).join('')).toBe(deltasOf(answered).join(''));
    expect(changed(before, days(await stack.rateLimitItems()))).toEqual([usageOf(answered)]);
  });

  test('a stream failing before its first delta counts nothing (the caller got a plain error)', async () => {
    const before = days(await stack.rateLimitItems());
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 0 });
    const failed = await ask('before-first-delta', 'Hello');
    expect(failed.status).toBe(502);
    expect(changed(before, days(await stack.rateLimitItems()))).toEqual([]);
  });
});

describe('caller credentials (per access key)', () => {
  const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({
      emulator: {
        tokenDelayMs: 0,
        principals: [{ ...FAKE_CREDENTIALS, arn: 'arn:aws:sts::111111111111:assumed-role/ChatFunctionRole/fn', allowedActions: [] }, ALICE],
      },
      environment: { BEDROCK_ACCESS: 'caller-credentials', BEDROCK_ALLOWED_REGIONS: TEST_REGION, ...BUDGET },
    });
  }, 60_000);
  afterAll(() => stack.close());

  test("a stream failing mid-answer is counted on the access key's day", async () => {
    stack.emulator.reset();
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 4 });
    const failed = await postChat(stack.url, { message: 'Hello there', awsCredentials: ALICE }, { headers: SSE });
    expect(eventsOf(failed).at(-1)).toBe('error');
    const counted = [...days(await stack.rateLimitItems()).values()];
    expect(counted).toEqual([estimate(stack.emulator.requests[0]?.body, deltasOf(failed))]);
  });
});

describe('guest RAG (per guest address)', () => {
  const GUEST = 'guest';
  let stack: RagStack;
  beforeAll(async () => {
    stack = await startRagChatStack({
      emulator: { tokenDelayMs: 0, answer: 'Support answers on weekdays, from nine to five, by phone and by mail.' },
      passages: [{ text: 'Support hours: weekdays, nine to five.', score: 0.9, uri: 's3://docs/published/support.md' }],
      environment: { ...BUDGET, CHAT_GUEST_ROLE_ARNS: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/LocalChatCaller.${GUEST}` },
    });
  }, 60_000);
  afterAll(() => stack.close());
  afterEach(() => stack.emulator.clearFaults());

  const ask = () => postChat(stack.url, { message: 'When is support open?' }, { headers: { ...SSE, [CALLER_HEADER]: GUEST } });

  test("a stream failing after 3 deltas: the estimate (the passages included) is counted on the guest's day", async () => {
    stack.emulator.reset();
    stack.emulator.injectFault({ type: 'midStreamError', afterTokens: 3 }, { operation: 'ConverseStream' });
    const failed = await ask();
    expect(eventsOf(failed)).toEqual(['delta', 'delta', 'delta', 'error']);
    const converse = stack.emulator.requests.find((r) => r.operation === 'ConverseStream');
    const counted = [...days(await stack.rateLimitItems()).values()];
    expect(counted).toEqual([estimate(converse?.body, deltasOf(failed))]);
  });

  test('a stream failing after its metadata event: the reported usage is added', async () => {
    const before = days(await stack.rateLimitItems());
    const answered = await ask();
    const afterAnswer = days(await stack.rateLimitItems());
    expect(changed(before, afterAnswer)).toEqual([usageOf(answered)]);
    stack.emulator.injectFault({ type: 'midStreamError', afterMetadata: true }, { operation: 'ConverseStream' });
    const failed = await ask();
    expect(eventsOf(failed).at(-1)).toBe('error');
    expect(changed(afterAnswer, days(await stack.rateLimitItems()))).toEqual([usageOf(answered)]);
  });
});
