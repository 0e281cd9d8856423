/**
 * Embedded DynamoDB for local runs and tests: dynalite (DynamoDB's API on an in-memory LevelDB) and the
 * rate-limit table the construct creates.
 *
 * dynalite has no TTL: `expiresAt` is written but items never expire (and UpdateTimeToLive does not exist,
 * so the table is created without it). The rate limiter never reads an old window's item, so nothing
 * behaves differently except the table's size over a long local session.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynaliteOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Serve HTTPS with this key and certificate (tools/local/tls.ts), as DynamoDB is reached in AWS; `url` is then `https://…`. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface Dynalite {
  /** e.g. `http://127.0.0.1:PORT`, for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  ssl?: boolean;
  key?: string;
  cert?: string;
  ca?: string;
}) => Server;
// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as DynaliteFactory;

export async function startDynalite({ port = 0, host = '127.0.0.1', tls }: DynaliteOptions = {}): Promise<Dynalite> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    // dynalite's own certificate expired in 2018: always pass ours.
    ...(tls ? { ssl: true, key: tls.key, cert: tls.cert, ca: tls.cert } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}

/** The rate-limit table's schema: partition key `pk` (S), on-demand. (`expiresAt` TTL: not in dynalite.) */
export async function createRateLimitTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, tableName);
}

/** The API key table's schema, as lib/constructs/api-key-table.ts creates it: partition key `keyHash` (S), on-demand. */
export async function createApiKeyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'keyHash', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, tableName);
}

/**
 * The chat history table's schema, as lib/constructs/chat-history-table.ts creates it: `pk`/`sk` (S) and
 * the `byUpdated` index (`byUpdatedPk`/`byUpdatedSk`, projecting title, createdAt, updatedAt, turns).
 */
export async function createHistoryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: ['pk', 'sk', 'byUpdatedPk', 'byUpdatedSk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUpdated',
          KeySchema: [
            { AttributeName: 'byUpdatedPk', KeyType: 'HASH' },
            { AttributeName: 'byUpdatedSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title', 'createdAt', 'updatedAt', 'turns'] },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, tableName);
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
