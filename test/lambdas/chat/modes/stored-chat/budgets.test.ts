/**
 * Usage budgets for JWT users of the JWT chat (stored-model-chat under its real entry, dynalite, the Bedrock
 * emulator): concurrent answers are counted exactly (10 here: the rate limiter's 1.5 s DynamoDB timeout, built for a
 * real table, gives up on a loaded machine's dynalite at 20; the completions suite counts 20), the next request over budget gets 429 with its code and
 * Retry-After, another user is unaffected.
 */
import { type JwtChatStack, startJwtChatStack } from '../../../../support/jwt-services';
import { parseSse, TEST_MODELS } from '../../../../support/local-services';

let stack: JwtChatStack;

beforeAll(async () => {
  stack = await startJwtChatStack({ environment: { BUDGET_TOKENS_PER_DAY: '2000', BUDGET_FAIL_OPEN: 'false' } });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

interface Done {
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
}

async function ask(token: string, prompt: string) {
  return stack.request('POST', '/chat', { token, sse: true, body: { prompt, model: Object.keys(TEST_MODELS)[0] } });
}

function dayItems(items: Array<Record<string, { S?: string; N?: string }>>) {
  return items.filter((item) => /#day-\d{4}-\d{2}-\d{2}$/.test(item.pk?.S ?? ''));
}

test('10 concurrent answers of one user add exactly their usage; over budget is 429 token_budget_exhausted; another user goes on', async () => {
  const alice = await stack.token('alice');
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(alice, `question ${i} ${'word '.repeat(i)}`)));
  expect(answers.map((a) => (a.status === 200 ? 200 : `${a.status} ${a.body}`))).toEqual(answers.map(() => 200));
  const usage = (answer: { body: string }): number => (parseSse(answer.body).at(-1)?.data as Done | undefined)?.usage.totalTokens ?? Number.NaN;
  let sum = answers.reduce((total, answer) => total + usage(answer), 0);
  expect(sum).toBeLessThan(2000);
  let [item] = dayItems(await stack.scan(stack.tables.rateLimit));
  expect(Number(item?.tokens?.N)).toBe(sum);

  // One at a time until the budget is spent: each answer is counted, the first request past it is refused.
  let refused: Awaited<ReturnType<typeof ask>> | undefined;
  for (let i = 0; i < 30 && !refused; i++) {
    const answer = await ask(alice, `more ${i}`);
    if (answer.status === 200) sum += usage(answer);
    else refused = answer;
  }
  expect(sum).toBeGreaterThanOrEqual(2000);
  expect(refused?.status).toBe(429);
  expect(refused?.json().error.code).toBe('token_budget_exhausted');
  expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  [item] = dayItems(await stack.scan(stack.tables.rateLimit));
  expect(Number(item?.tokens?.N)).toBe(sum);

  const bob = await stack.token('bob');
  expect((await ask(bob, 'hello')).status).toBe(200);
  expect(dayItems(await stack.scan(stack.tables.rateLimit))).toHaveLength(2);
});
