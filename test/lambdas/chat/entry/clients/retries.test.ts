/**
 * The retries of every upstream client: bounded (two attempts: one retry, and only before the first stream event),
 * with exponential backoff and full jitter (the SDK's standard strategy: a random delay below the base times 2^n).
 * The delays are sampled from the client's own strategy, not measured: the property is that they vary and stay under
 * the bound, whatever the machine's load. The fault suite (test/lambdas/chat/faults.test.ts) checks the attempts
 * the Bedrock emulator sees end to end.
 */
import { invokeAgentClient, retrieveClient } from '../../../../../lambdas/chat/entry/clients/agent-runtime';
import { bedrockRuntimeClient } from '../../../../../lambdas/chat/entry/clients/bedrock-runtime';
import { historyClient, rateLimiterClient } from '../../../../../lambdas/chat/entry/clients/dynamodb';

interface Strategy {
  readonly mode: string;
  maxAttempts(): Promise<number>;
  acquireInitialRetryToken(scope: string): Promise<{ getRetryCount(): number }>;
  refreshRetryTokenForRetry(token: unknown, error: { errorType: string }): Promise<unknown>;
  readonly retryBackoffStrategy: { setDelayBase(ms: number): void; computeNextBackoffDelay(attempt: number): number };
}

async function strategyOf(client: { config: { retryStrategy: unknown } }): Promise<Strategy> {
  const provider = client.config.retryStrategy as () => Promise<Strategy>;
  return provider();
}

const CLIENTS = [
  ['Bedrock Runtime (ConverseStream)', () => bedrockRuntimeClient('eu-west-1'), 2],
  ['Bedrock Agent Runtime (Retrieve)', () => retrieveClient('eu-west-1'), 2],
  ['Bedrock Agent Runtime (InvokeAgent)', () => invokeAgentClient('eu-west-1'), 2],
  ['DynamoDB (rate limiter)', () => rateLimiterClient('eu-west-1'), 2],
  ['DynamoDB (history)', () => historyClient('eu-west-1'), 3],
] as const;

test.each(CLIENTS.map(([name, make, attempts]) => [name, attempts, make] as const))(
  '%s: the standard strategy, %i attempts at most, jittered exponential backoff',
  async (_name, attempts, make) => {
    const client = make() as { config: { retryStrategy: unknown }; destroy(): void };
    try {
      const strategy = await strategyOf(client);
      expect(strategy.mode).toBe('standard');
      expect(await strategy.maxAttempts()).toBe(attempts);

      // Full jitter: 200 samples of the delay before retry n lie in [0, base * 2^n) and are not all the same.
      const backoff = strategy.retryBackoffStrategy;
      backoff.setDelayBase(100);
      for (const attempt of [0, 1, 2]) {
        const samples = Array.from({ length: 200 }, () => backoff.computeNextBackoffDelay(attempt));
        expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...samples)).toBeLessThan(100 * 2 ** attempt);
        expect(new Set(samples).size).toBeGreaterThan(10);
      }
    } finally {
      client.destroy();
    }
  },
);

test('no retry beyond the last attempt: a token that has used its retries is refused at once', async () => {
  const client = bedrockRuntimeClient('eu-west-1') as unknown as { config: { retryStrategy: unknown }; destroy(): void };
  try {
    const strategy = await strategyOf(client);
    const spent = { getRetryCount: () => 1, getRetryCost: () => 5, isLongPoll: () => false };
    await expect(strategy.refreshRetryTokenForRetry(spent, { errorType: 'THROTTLING' })).rejects.toThrow('No retry token available');
  } finally {
    client.destroy();
  }
});
