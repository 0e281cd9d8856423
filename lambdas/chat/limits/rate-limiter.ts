/**
 * Per-caller rate limit: a fixed one-minute window counted with one atomic DynamoDB `UpdateItem`.
 *
 * Item: `pk = "<namespace>#<callerKeyHash>#<windowIndex>"` (windowIndex = floor(epochSeconds / 60)),
 * `requests` (N) incremented with `ADD`, `expiresAt` (N, epoch seconds) set once with `if_not_exists` to
 * {@link EXPIRY_GRACE_SECONDS} past the window's end, for DynamoDB TTL to delete it. The key of a past
 * window is never written again, so an item TTL has not deleted yet is never read as current. The
 * namespace (`RATE_LIMIT_NAMESPACE`) keeps the counts of functions sharing one table apart, unless they
 * are given the same one.
 *
 * `ADD` is atomic, so concurrent invocations from one caller are counted exactly. The only call is
 * `UpdateItem` with `ReturnValues: UPDATED_NEW` (the function role may do nothing else on the table).
 */
import { UpdateItemCommand, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { RATE_LIMIT_TABLE } from '../../../contract/tables';
import { type Caller, caller as callerOf } from '../auth/caller';
import { sourceAddressKey } from '../auth/source-address';
import type { Invocation } from '../core/invocation';
import { errorFields, type Logger } from '../core/log';
import { ChatError } from '../http/errors';
import type { RateLimitConfig } from './config';

export const WINDOW_SECONDS = 60;
export const EXPIRY_GRACE_SECONDS = 60;

/** The one DynamoDB operation the limiter needs (the real `DynamoDBClient` satisfies it). */
export interface UpdateItemClient {
  send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
}

export interface WindowCount {
  /** Requests counted in the current window, this one included. */
  readonly count: number;
  /** Whole seconds until the window ends (at least 1): the `Retry-After` of a refused request. */
  readonly secondsToWindowEnd: number;
}

/** The counter key of a caller in a window. */
export function counterKey(namespace: string, callerKeyHash: string, windowIndex: number): string {
  return `${namespace}#${callerKeyHash}#${windowIndex}`;
}

/** Counts one request for the caller in the current window and returns the new count. */
export async function countRequest(
  client: UpdateItemClient,
  { tableName, namespace }: Pick<RateLimitConfig, 'tableName' | 'namespace'>,
  callerKeyHash: string,
  nowMs: number,
): Promise<WindowCount> {
  const windowIndex = Math.floor(nowMs / 1000 / WINDOW_SECONDS);
  const windowEndSeconds = (windowIndex + 1) * WINDOW_SECONDS;
  const output = await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { [RATE_LIMIT_TABLE.partitionKey]: { S: counterKey(namespace, callerKeyHash, windowIndex) } },
      UpdateExpression: 'ADD #requests :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
      ExpressionAttributeNames: { '#requests': RATE_LIMIT_TABLE.requests, '#expiresAt': RATE_LIMIT_TABLE.timeToLive },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':expiresAt': { N: String(windowEndSeconds + EXPIRY_GRACE_SECONDS) } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const count = Number(output.Attributes?.[RATE_LIMIT_TABLE.requests]?.N);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error('UpdateItem returned no request count');
  }
  return { count, secondsToWindowEnd: Math.max(1, Math.ceil(windowEndSeconds - nowMs / 1000)) };
}

/** The caller's count in this window, or `failedOpen` when DynamoDB failed and the request was let through. */
export type RateLimitResult = { readonly count: number; readonly failedOpen?: undefined } | { readonly count?: undefined; readonly failedOpen: true };

/**
 * Counts the request and throws 429 `rate_limited` when the caller is over the limit. When DynamoDB
 * fails, logs it and either lets the request through (`failOpen`) or throws 503 `rate_limiter_unavailable`.
 */
export async function enforceRateLimit(
  client: UpdateItemClient,
  config: RateLimitConfig,
  caller: Caller,
  log: Logger,
  nowMs: number = Date.now(),
  limit: number = config.requestsPerMinute,
): Promise<RateLimitResult> {
  let window: WindowCount;
  try {
    window = await countRequest(client, config, caller.keyHash, nowMs);
  } catch (error) {
    log.error('rate_limiter_unavailable', { failOpen: config.failOpen, ...errorFields(error) });
    if (config.failOpen) return { failedOpen: true };
    throw new ChatError(503, 'rate_limiter_unavailable', 'The service cannot check request limits right now. Try again shortly.');
  }
  // A caller's own limit (an API key's) replaces the function's; an explicit other limit (per address) stays.
  const max = caller.limits?.requestsPerMinute ?? limit;
  if (window.count > max) {
    throw new ChatError(429, 'rate_limited', `Too many requests: at most ${max} per minute. Try again in ${window.secondsToWindowEnd} s.`, {
      'retry-after': String(window.secondsToWindowEnd),
    });
  }
  return { count: window.count };
}

/** The rate-limit step of every handler: counts the caller's request (see {@link enforceRateLimit}) and records the facts. */
export async function limitCaller(
  { log, facts, now }: Pick<Invocation, 'log' | 'facts' | 'now'>,
  client: UpdateItemClient,
  config: RateLimitConfig,
  caller: Caller,
): Promise<void> {
  facts.callerKind = caller.kind;
  const limit = await enforceRateLimit(client, config, caller, log, now());
  Object.assign(facts, { rateLimitCount: limit.count, rateLimitFailedOpen: limit.failedOpen });
}

/**
 * The first step of a public URL's handler (`RATE_LIMIT_PER_ADDRESS_PER_MINUTE` set): counts the request per
 * source address (an IPv6 address by its /64) before the caller is authenticated, so a flood of requests without
 * a valid token is counted and refused like any other; a no-op otherwise. The authenticated caller is counted
 * afterwards as usual ({@link limitCaller}).
 */
export async function limitAddress(
  { event, log, facts, now }: Pick<Invocation, 'event' | 'log' | 'facts' | 'now'>,
  client: UpdateItemClient,
  config: RateLimitConfig,
): Promise<void> {
  const limit = config.requestsPerAddressPerMinute;
  if (limit === undefined) return;
  const address = callerOf('address', sourceAddressKey(event.requestContext?.http?.sourceIp));
  const result = await enforceRateLimit(client, config, address, log, now(), limit);
  Object.assign(facts, { addressCount: result.count, addressFailedOpen: result.failedOpen });
}
