/**
 * Counting an answer's usage: one `ADD`, sent again only after a refusal that proves nothing was written. A fake
 * client (no local service can time out after applying a write, or throttle on demand) records what was sent.
 */
import type { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { markNotSent } from '../../../../lambdas/chat/aws/service-error';
import { type BudgetTableClient, recordUsage } from '../../../../lambdas/chat/budgets/budget';
import type { LogValue } from '../../../../lambdas/chat/core/log';

const TABLE = { tableName: 'limits', namespace: 'ns' };
const GATE = { key: 'ns#caller#day-2026-12-02', expiresAt: 1_800_000_000 };
const USAGE = { inputTokens: 30, outputTokens: 12 };

function fakeClient(failures: Error[]): BudgetTableClient & { sent: UpdateItemCommand[] } {
  const sent: UpdateItemCommand[] = [];
  return {
    sent,
    send: async (command: UpdateItemCommand) => {
      sent.push(command);
      const failure = failures.shift();
      if (failure) throw failure;
      return { $metadata: {} };
    },
  };
}

function named(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

function invocation() {
  const errors: string[] = [];
  const facts: Record<string, LogValue> = {};
  return { log: { info: () => undefined, error: (event: string) => errors.push(event) }, facts, errors };
}

test('one ADD of the total tokens and the cost, in whole nano-dollars', async () => {
  const client = fakeClient([]);
  await recordUsage(invocation(), client, TABLE, GATE, USAGE, 1234);
  expect(client.sent).toHaveLength(1);
  const input = client.sent[0]!.input;
  expect(input.UpdateExpression).toMatch(/^ADD #tokens :tokens, #cost :cost/);
  expect(input.ExpressionAttributeValues).toMatchObject({ ':tokens': { N: '42' }, ':cost': { N: '1234' } });
  expect(input.ConditionExpression).toBeUndefined();
});

test('a timeout (outcome unknown) is not retried: a second ADD could count the answer twice; it is logged', async () => {
  const client = fakeClient([named('TimeoutError')]);
  const inv = invocation();
  await recordUsage(inv, client, TABLE, GATE, USAGE, 0);
  expect(client.sent).toHaveLength(1);
  expect(inv.errors).toEqual(['budget_count_failed']);
  expect(inv.facts.budgetCounted).toBe(false);
});

test.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])(
  'a refusal that wrote nothing (%s) is sent once more',
  async (name) => {
    const client = fakeClient([named(name)]);
    const inv = invocation();
    await recordUsage(inv, client, TABLE, GATE, USAGE, 0);
    expect(client.sent).toHaveLength(2);
    expect(inv.errors).toEqual([]);
  },
);

test('a failure before the connection was established (the request never left) is sent once more', async () => {
  const client = fakeClient([markNotSent(named('TimeoutError'))]);
  const inv = invocation();
  await recordUsage(inv, client, TABLE, GATE, USAGE, 0);
  expect(client.sent).toHaveLength(2);
  expect(inv.errors).toEqual([]);
});
