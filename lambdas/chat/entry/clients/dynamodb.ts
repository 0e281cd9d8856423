/**
 * The DynamoDB clients: one per table use, because their failures are handled differently. Neither opens a
 * connection until its first call; the endpoint comes from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
 * variable (local runs and tests).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * For the rate limiter, which sits in front of every request: fail fast (two attempts, 1 s to connect,
 * 1.5 s per request; UpdateItem normally takes milliseconds), then apply RATE_LIMIT_FAIL_OPEN.
 */
export function rateLimiterClient(region: string): DynamoDBClient {
  return new DynamoDBClient({
    region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
  });
}

/**
 * For the history store (stored chats), whose writes come after a paid answer: three attempts with the SDK's
 * backoff (throttling included) and 3 s per request (a 1 MB Query page) before the request fails with 503.
 */
export function historyClient(region: string): DynamoDBClient {
  return new DynamoDBClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
