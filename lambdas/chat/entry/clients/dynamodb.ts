/**
 * The DynamoDB clients (aws/dynamodb-client.ts): one per table use, because their failures are handled
 * differently. Neither opens a connection before its first call or the invocation's preconnect (preconnect.ts);
 * the endpoint comes from `AWS_ENDPOINT_URL_DYNAMODB` when set (local runs and tests), as in the SDK. Connections are kept alive.
 */
import { DynamoDbClient } from '../../aws/dynamodb-client';

/**
 * For the rate limiter, which sits in front of every request: fail fast (two attempts, 1 s to connect,
 * 1.5 s per request; UpdateItem normally takes milliseconds), then apply RATE_LIMIT_FAIL_OPEN.
 */
export function rateLimiterClient(region: string): DynamoDbClient {
  return new DynamoDbClient({ region, maxAttempts: 2, connectionTimeout: 1_000, requestTimeout: 1_500 });
}

/**
 * For counting usage against the budgets (`ADD` of an answer's tokens and cost): one attempt, no client retry. `ADD` is
 * not idempotent: a retry after a timed-out attempt that DynamoDB had applied counts the answer twice (measured: 20
 * concurrent completions against a loaded dynalite counted one answer twice under the limiter's client). The count
 * runs once the answer ended, so it may wait longer (3 s); budgets/budget.ts retries only refusals that prove
 * nothing was written (throttling) and failures before the connection was made (the request never left).
 */
export function usageCounterClient(region: string): DynamoDbClient {
  return new DynamoDbClient({ region, maxAttempts: 1, connectionTimeout: 1_000, requestTimeout: 3_000 });
}

/**
 * For the history store (stored chats), whose writes come after a paid answer: three attempts with the SDK's
 * backoff (throttling included) and 3 s per request (a 1 MB Query page) before the request fails with 503.
 */
export function historyClient(region: string): DynamoDbClient {
  return new DynamoDbClient({ region, maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 3_000 });
}
