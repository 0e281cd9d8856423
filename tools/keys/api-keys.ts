/**
 * API key administration against an `ApiKeyTable`: create (the key is returned once and only its SHA-256 is
 * stored), list, revoke and set a key's limits. Used by `npm run keys` and `npm run local -- --mode openai`.
 */
import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { API_KEY_PREFIX, API_KEY_TABLE } from '../../contract/tables';
import { apiKeyHash } from '../../lambdas/chat/auth/api-key-authenticator';

export interface KeyLimits {
  readonly requestsPerMinute?: number;
  readonly tokensPerDay?: number;
  readonly costPerDayUsd?: number;
}

export interface CreateKeyOptions extends KeyLimits {
  readonly name: string;
  readonly owner?: string;
  readonly expiresInDays?: number;
  readonly now?: number;
}

export interface KeyRecord extends KeyLimits {
  readonly name: string;
  readonly owner?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly disabled: boolean;
  /** The first 12 hex digits of the key's hash, to tell keys apart; never the key. */
  readonly hashPrefix: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export class KeyAdminError extends Error {
  public readonly name = 'KeyAdminError';
}

/** A new random key: the prefix, then 32 random bytes in base64url. */
export function newApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function limitAttributes(limits: KeyLimits): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (limits.requestsPerMinute !== undefined) out[API_KEY_TABLE.requestsPerMinute] = { N: String(limits.requestsPerMinute) };
  if (limits.tokensPerDay !== undefined) out[API_KEY_TABLE.tokensPerDay] = { N: String(limits.tokensPerDay) };
  if (limits.costPerDayUsd !== undefined) out[API_KEY_TABLE.costPerDayUsd] = { N: String(limits.costPerDayUsd) };
  return out;
}

function checkLimits({ requestsPerMinute, tokensPerDay, costPerDayUsd }: KeyLimits): void {
  for (const [name, value] of Object.entries({ requestsPerMinute, tokensPerDay, costPerDayUsd })) {
    if (value === undefined) continue;
    const ok = name === 'costPerDayUsd' ? Number.isFinite(value) && value > 0 : Number.isInteger(value) && value >= 1;
    if (!ok)
      throw new KeyAdminError(`${name} must be ${name === 'costPerDayUsd' ? 'a positive number' : 'a whole number of at least 1'}, got ${value}`);
  }
}

/** Creates a key; returns it (the only time it exists outside the caller's hands). Names are unique. */
export async function createKey(client: DynamoDBClient, tableName: string, options: CreateKeyOptions): Promise<string> {
  if (!NAME.test(options.name))
    throw new KeyAdminError(`--name must be 1 to 64 of A-Z a-z 0-9 _ . @ - (starting with a letter or digit), got '${options.name}'`);
  checkLimits(options);
  if ((await findByName(client, tableName, options.name)).length > 0) throw new KeyAdminError(`a key named '${options.name}' exists already`);
  const now = options.now ?? Date.now();
  if (options.expiresInDays !== undefined && !(Number.isInteger(options.expiresInDays) && options.expiresInDays >= 1)) {
    throw new KeyAdminError(`--expires-in-days must be a whole number of at least 1, got ${options.expiresInDays}`);
  }
  const key = newApiKey();
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        [API_KEY_TABLE.partitionKey]: { S: apiKeyHash(key) },
        [API_KEY_TABLE.name]: { S: options.name },
        ...(options.owner ? { [API_KEY_TABLE.owner]: { S: options.owner } } : {}),
        [API_KEY_TABLE.createdAt]: { S: new Date(now).toISOString() },
        ...(options.expiresInDays !== undefined
          ? { [API_KEY_TABLE.expiresAt]: { N: String(Math.floor(now / 1000) + options.expiresInDays * 86_400) } }
          : {}),
        [API_KEY_TABLE.disabled]: { BOOL: false },
        ...limitAttributes(options),
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': API_KEY_TABLE.partitionKey },
    }),
  );
  return key;
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function findByName(client: DynamoDBClient, tableName: string, name: string): Promise<Array<Record<string, AttributeValue>>> {
  return (await scanAll(client, tableName)).filter((item) => item[API_KEY_TABLE.name]?.S === name);
}

/** Every key's record, by name (no key and no full hash). */
export async function listKeys(client: DynamoDBClient, tableName: string): Promise<KeyRecord[]> {
  const n = (item: Record<string, AttributeValue>, a: string): number | undefined => (item[a]?.N !== undefined ? Number(item[a]?.N) : undefined);
  return (await scanAll(client, tableName))
    .map((item): KeyRecord => {
      const expires = n(item, API_KEY_TABLE.expiresAt);
      return {
        name: item[API_KEY_TABLE.name]?.S ?? '',
        owner: item[API_KEY_TABLE.owner]?.S,
        createdAt: item[API_KEY_TABLE.createdAt]?.S ?? '',
        expiresAt: expires !== undefined ? new Date(expires * 1000).toISOString() : undefined,
        disabled: item[API_KEY_TABLE.disabled]?.BOOL === true,
        requestsPerMinute: n(item, API_KEY_TABLE.requestsPerMinute),
        tokensPerDay: n(item, API_KEY_TABLE.tokensPerDay),
        costPerDayUsd: n(item, API_KEY_TABLE.costPerDayUsd),
        hashPrefix: (item[API_KEY_TABLE.partitionKey]?.S ?? '').slice(0, 12),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function updateByName(
  client: DynamoDBClient,
  tableName: string,
  name: string,
  update: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName' | 'Key'>,
): Promise<void> {
  const [item, ...more] = await findByName(client, tableName, name);
  if (!item) throw new KeyAdminError(`no key is named '${name}'`);
  if (more.length > 0) throw new KeyAdminError(`several keys are named '${name}'`);
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [API_KEY_TABLE.partitionKey]: item[API_KEY_TABLE.partitionKey] as AttributeValue },
        ...update,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': API_KEY_TABLE.partitionKey, ...update.ExpressionAttributeNames },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new KeyAdminError(`the key named '${name}' was deleted meanwhile`);
    throw error;
  }
}

/** Disables the key: it is refused from the next lookup on (cached lookups: within a minute). */
export async function revokeKey(client: DynamoDBClient, tableName: string, name: string): Promise<void> {
  await updateByName(client, tableName, name, {
    UpdateExpression: 'SET #disabled = :true',
    ExpressionAttributeNames: { '#disabled': API_KEY_TABLE.disabled },
    ExpressionAttributeValues: { ':true': { BOOL: true } },
  });
}

/** Sets (or, with `remove`, clears) a key's own limits. */
export async function setKeyLimits(
  client: DynamoDBClient,
  tableName: string,
  name: string,
  limits: KeyLimits,
  remove: readonly (keyof KeyLimits)[] = [],
): Promise<void> {
  checkLimits(limits);
  const set = Object.entries(limitAttributes(limits));
  if (set.length === 0 && remove.length === 0)
    throw new KeyAdminError('give at least one of --requests-per-minute, --tokens-per-day, --cost-per-day-usd (or --clear <name>)');
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets = set.map(([attribute, value], i) => {
    names[`#s${i}`] = attribute;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const removes = remove.map((limit, i) => {
    names[`#r${i}`] = API_KEY_TABLE[limit];
    return `#r${i}`;
  });
  await updateByName(client, tableName, name, {
    UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
    ExpressionAttributeNames: names,
    ...(sets.length ? { ExpressionAttributeValues: values } : {}),
  });
}
