/**
 * Usage budgets for JWT users of the JWT chat: the BUILT stored-model-chat bundle in its own process (serve-bundle.ts),
 * against dynalite, the Bedrock emulator and the local token issuer in this one. 20 concurrent answers of one user
 * are counted exactly, the next request over budget gets 429 with its code and Retry-After, another user is
 * unaffected.
 *
 * Why its own process: run in the test's event loop with dynalite, the emulator, the issuer and a recording proxy, a
 * burst of 20 answers (each several DynamoDB calls) took the rate limiter past its 1.5 s request timeout (built for
 * a real table) and most requests failed closed with 503. And why one `ADD` per answer on a client without retries
 * (entry/clients/dynamodb.ts `usageCounterClient`): the limiter's client retries a timed-out request, and a retried
 * `ADD` that DynamoDB had applied counted an answer twice (seen in the completions suite under load).
 *
 * The request limiter and the budget check fail open here: on a machine loaded by parallel suites, a local dynalite
 * can still exceed their 1.5 s timeouts (built for DynamoDB) and a fail-closed function answers 503, which says
 * nothing about counting. The count itself has no such escape: a lost or doubled count fails the test, and so does a
 * `budget_count_failed` line in the function's log.
 */
import { createHash } from 'node:crypto';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { UsageTally } from '../../../../../lambdas/chat/bedrock/usage-tally';
import { totalTokens } from '../../../../../lambdas/chat/budgets/budget';
import { type BedrockEmulator, startBedrockEmulator } from '../../../../../tools/local/bedrock-emulator';
import { createHistoryTable, createRateLimitTable } from '../../../../../tools/local/dynamo';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../../../tools/local/jwt-issuer';
import { type BundleProcess, startBundleProcess } from '../../../../support/bundle-process';
import {
  BASE_ENV,
  jwtAuthEnvironment,
  type LocalDynamo,
  parseSse,
  postChat,
  setEnv,
  startLocalDynamo,
  TEST_MODELS,
} from '../../../../support/local-services';

jest.setTimeout(120_000);

const BUDGET = 4000;
const TABLES = { rateLimit: 'jwt-budget-limits', history: 'jwt-budget-history' };
let issuer: LocalJwtIssuer;
let emulator: BedrockEmulator;
let dynamo: LocalDynamo;
let chat: BundleProcess;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = setEnv(BASE_ENV);
  issuer = await startLocalJwtIssuer();
  emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 1 });
  dynamo = await startLocalDynamo();
  await createRateLimitTable(dynamo.admin, TABLES.rateLimit);
  await createHistoryTable(dynamo.admin, TABLES.history);
  const env = Object.fromEntries(Object.entries(jwtAuthEnvironment(issuer)).filter((e): e is [string, string] => e[1] !== undefined));
  chat = await startBundleProcess(
    'stored-model-chat',
    {
      ...env,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      CHAT_MODELS: JSON.stringify(TEST_MODELS),
      CHAT_MAX_TOKENS: '1024',
      RATE_LIMIT_TABLE_NAME: TABLES.rateLimit,
      RATE_LIMIT_PER_MINUTE: '1000',
      RATE_LIMIT_FAIL_OPEN: 'true',
      RATE_LIMIT_NAMESPACE: 'jwt-budget',
      HISTORY_TABLE_NAME: TABLES.history,
      HISTORY_TURNS: '10',
      BUDGET_TOKENS_PER_DAY: String(BUDGET),
      BUDGET_FAIL_OPEN: 'true',
    },
    'none',
  );
}, 90_000);

afterAll(async () => {
  await chat?.stop();
  await emulator?.close();
  await dynamo?.close();
  await issuer?.close();
  restoreEnv?.();
});

interface Done {
  usage: { totalTokens: number };
}

const token = (sub: string): Promise<string> => issuer.sign({ sub, email: `${sub}@example.com` });
const ask = (bearer: string, prompt: string) =>
  postChat(
    new URL('/chat', chat.url).toString(),
    { prompt, model: Object.keys(TEST_MODELS)[0] },
    {
      headers: { authorization: `Bearer ${bearer}`, accept: 'text/event-stream' },
    },
  );
const usage = (answer: { body: string }): number => (parseSse(answer.body).at(-1)?.data as Done | undefined)?.usage.totalTokens ?? Number.NaN;

/** Today's budget counts, by the hash of the user (`jwt:<sub>`). */
async function dayCounts(): Promise<Map<string, number>> {
  const { Items = [] } = await dynamo.admin.send(new ScanCommand({ TableName: TABLES.rateLimit, ConsistentRead: true }));
  const day = new Date().toISOString().slice(0, 10);
  return new Map(
    Items.flatMap((item: Record<string, AttributeValue>) => {
      const match = /^jwt-budget#([0-9a-f]{64})#day-(\S+)$/.exec(item.pk?.S ?? '');
      return match && match[2] === day ? [[match[1] as string, Number(item.tokens?.N)] as [string, number]] : [];
    }),
  );
}
const userHash = (sub: string): string => createHash('sha256').update(`jwt:${sub}`).digest('hex');

test('20 concurrent answers of one user add exactly their usage; over budget is 429 token_budget_exhausted; another user goes on', async () => {
  const alice = await token('alice');
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(alice, `question ${i} ${'word '.repeat(i)}`)));
  expect(answers.map((a) => (a.status === 200 ? 200 : `${a.status} ${a.body}`))).toEqual(answers.map(() => 200));
  let sum = answers.reduce((total, answer) => total + usage(answer), 0);
  expect(new Set(answers.map(usage)).size).toBeGreaterThan(1);
  expect(sum).toBeLessThan(BUDGET);
  expect(await dayCounts()).toEqual(new Map([[userHash('alice'), sum]]));

  // One at a time until the budget is spent: each answer is counted, the first request past it is refused.
  let refused: Awaited<ReturnType<typeof ask>> | undefined;
  for (let i = 0; i < 40 && !refused; i++) {
    const answer = await ask(alice, `more ${i}`);
    if (answer.status === 200) sum += usage(answer);
    else refused = answer;
  }
  expect(sum).toBeGreaterThanOrEqual(BUDGET);
  expect(refused?.status).toBe(429);
  expect(refused?.json().error.code).toBe('token_budget_exhausted');
  expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  expect((await dayCounts()).get(userHash('alice'))).toBe(sum);

  const bob = await token('bob');
  expect((await ask(bob, 'hello')).status).toBe(200);
  expect((await dayCounts()).size).toBe(2);
  expect(chat.output()).not.toContain('budget_count_failed');
});

test("an answer failing after streaming began counts what it used on the user's day: the estimate, before any metadata", async () => {
  const carol = await token('carol');
  // The fault rides in this request's own text: no other request can take it.
  const failed = await ask(carol, 'Tell me a long story about the sea. [[emulator:fault=midStreamError,afterTokens=3]]');
  const events = parseSse(failed.body);
  expect(events.map((e) => e.event)).toEqual(['delta', 'delta', 'delta', 'error']);
  const tally = new UsageTally();
  const sent = emulator.requests.find((r) => JSON.stringify(r.body).includes('afterTokens=3'));
  tally.request(sent?.body as Parameters<UsageTally['request']>[0], undefined);
  for (const e of events.filter((e) => e.event === 'delta')) tally.delta((e.data as { text: string }).text);
  const soFar = tally.soFar();
  expect(soFar?.estimated).toBe(true);
  expect((await dayCounts()).get(userHash('carol'))).toBe(totalTokens(soFar!.usage));
  expect(chat.output()).not.toContain('budget_count_failed');
});
