/**
 * `CHAT_AUTH_MODE=api_key`: the caller sends `Authorization: Bearer <key>` (what every OpenAI client sends); the
 * function looks up the key's SHA-256 in the API key table with one `GetItem` and refuses a key that is unknown,
 * disabled (revoked) or expired. The key itself is never stored, logged or echoed.
 *
 * Positive lookups are cached in memory for {@link LIMITS.apiKeyCacheSeconds} seconds per execution environment,
 * so a busy key costs one `GetItem` a minute per environment; a revoked key therefore keeps working for at most
 * that long. Unknown keys are not cached (a flood of wrong keys costs reads, bounded by the rate of invocations).
 */

import { createHash } from 'node:crypto';
import { GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { LIMITS } from '../../../contract/limits';
import { API_KEY_TABLE } from '../../../contract/tables';
import { ChatError } from '../http/errors';
import type { FunctionUrlEvent } from '../http/event';
import type { Authenticator } from './authenticator';
import { challenge } from './bearer-token';
import { type Caller, type CallerLimits, caller } from './caller';

/** The one DynamoDB operation key checks need (the real `DynamoDBClient` satisfies it). */
export interface GetItemClient {
  send(command: GetItemCommand): Promise<GetItemCommandOutput>;
}

const MAX_KEY_LENGTH = 256;
const MAX_CACHED = 1000;
const BEARER = /^Bearer +(\S+) *$/i;

/** Hex SHA-256 of a key: its partition key in the API key table. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function refused(code: 'api_key_missing' | 'api_key_invalid', message: string): ChatError {
  return new ChatError(401, code, message, { 'www-authenticate': challenge(code === 'api_key_missing' ? undefined : 'invalid_token', message) });
}

interface CachedKey {
  readonly caller: Caller;
  readonly expiresAt: number | undefined;
  readonly fetchedAt: number;
}

export function apiKeyAuthenticator(tableName: string, client: GetItemClient, now: () => number = Date.now): Authenticator {
  const cache = new Map<string, CachedKey>();
  return {
    method: 'api_key',
    authenticate: async (event: FunctionUrlEvent) => {
      const key = presentedKey(event);
      const keyHash = apiKeyHash(key);
      const nowMs = now();
      const cached = cache.get(keyHash);
      if (cached && nowMs - cached.fetchedAt < LIMITS.apiKeyCacheSeconds * 1000) {
        if (cached.expiresAt !== undefined && cached.expiresAt * 1000 <= nowMs) throw refused('api_key_invalid', 'The API key has expired.');
        return cached.caller;
      }
      cache.delete(keyHash);
      let output: GetItemCommandOutput;
      try {
        output = await client.send(new GetItemCommand({ TableName: tableName, Key: { [API_KEY_TABLE.partitionKey]: { S: keyHash } } }));
      } catch (error) {
        throw new ChatError(503, 'auth_unavailable', 'API keys cannot be checked right now. Try again shortly.', {}, error);
      }
      const item = output.Item;
      if (!item || item[API_KEY_TABLE.disabled]?.BOOL === true) throw refused('api_key_invalid', 'The API key is not valid.');
      const expiresAt = numberOf(item[API_KEY_TABLE.expiresAt]?.N);
      if (expiresAt !== undefined && expiresAt * 1000 <= nowMs) throw refused('api_key_invalid', 'The API key has expired.');
      const limits: CallerLimits = {
        requestsPerMinute: numberOf(item[API_KEY_TABLE.requestsPerMinute]?.N),
        tokensPerDay: numberOf(item[API_KEY_TABLE.tokensPerDay]?.N),
        costPerDayUsd: numberOf(item[API_KEY_TABLE.costPerDayUsd]?.N),
      };
      const who: Caller = { ...caller('api_key', keyHash), limits };
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(keyHash, { caller: who, expiresAt, fetchedAt: nowMs });
      return who;
    },
  };
}

function numberOf(raw: string | undefined): number | undefined {
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function presentedKey(event: FunctionUrlEvent): string {
  const authorization = event.headers?.authorization?.trim();
  if (!authorization) throw refused('api_key_missing', 'This endpoint needs an API key: send Authorization: Bearer <key>.');
  const key = BEARER.exec(authorization)?.[1];
  if (!key || key.length > MAX_KEY_LENGTH) throw refused('api_key_invalid', 'The API key is not valid.');
  return key;
}
