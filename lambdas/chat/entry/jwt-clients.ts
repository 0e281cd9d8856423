/**
 * The DynamoDB clients both JWT entries create at module scope: two clients, because their failures are
 * handled differently.
 *
 * - The rate limiter sits in front of every request: fail fast (as in entry/iam-stream.ts: two attempts,
 *   1 s to connect, 1.5 s per request), then apply RATE_LIMIT_FAIL_OPEN.
 * - The history store's writes come after a paid answer: three attempts with the SDK's backoff (throttling
 *   included) and 3 s per request (a 1 MB Query page) before the request fails with 503.
 *
 * Neither opens a connection until its first call.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChatStore } from '../history/chat-store';

export function limiterClient(region: string): DynamoDBClient {
  return new DynamoDBClient({
    region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
  });
}

export function historyStore(region: string, tableName: string): ChatStore {
  const client = new DynamoDBClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
  return new ChatStore(client, tableName);
}
