/**
 * Usage budgets: per caller and UTC day, the tokens used (input, output, cache read and cache write) and their
 * estimated cost, kept in the rate-limit table next to the request counters.
 *
 * Item: `pk = "<namespace>#<callerKeyHash>#day-<yyyy-mm-dd>"`, `tokens` and `costNanoUsd` (N, whole numbers) grown
 * with `ADD` once an answer ends, `expiresAt` set once with `if_not_exists` to a day past the day's end (TTL).
 * `ADD` is atomic, so N parallel answers add exactly the sum of their usage. The check before a model call is a
 * conditional `UpdateItem` (the limiter's only permission on the table): it succeeds while the day's counts are
 * under every budget, and otherwise fails with the counts, which say which budget is spent. A request admitted just
 * under a budget may take the count past it (an answer's size is only known when it ends); the next one is refused.
 *
 * The limits are the function's (`BUDGET_*`) unless the caller brings its own (an API key's `tokensPerDay`,
 * `costPerDayUsd`). Nothing is read or written when no budget applies to the caller.
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { RATE_LIMIT_TABLE } from '../../../contract/tables';
import { type Caller, caller as callerOf } from '../auth/caller';
import { wasNotSent } from '../aws/service-error';
import type { ModelPrice } from '../bedrock/model-config';
import type { UsageTally } from '../bedrock/usage-tally';
import type { Invocation } from '../core/invocation';
import { errorFields } from '../core/log';
import { ChatError } from '../http/errors';
import type { BudgetConfig } from './config';

/** The one DynamoDB operation budgets need (the real `DynamoDBClient` satisfies it). */
export interface BudgetTableClient {
  send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
}

/** Where the counters are: the rate-limit table and the function's namespace. */
export interface BudgetTable {
  readonly tableName: string;
  readonly namespace: string;
}

/** Usage of one answer as Bedrock reports it. */
export interface ReportedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

/** What a request admitted under a budget counts against when its answer ends. */
export interface BudgetGate {
  readonly key: string;
  readonly expiresAt: number;
}

const DAY_SECONDS = 86_400;
const NANO = 1e9;

/** The day's counter key of a caller. */
export function budgetKey(namespace: string, callerKeyHash: string, nowMs: number): string {
  return `${namespace}#${callerKeyHash}#day-${new Date(nowMs).toISOString().slice(0, 10)}`;
}

/** Whole seconds to the next UTC midnight (at least 1): the `Retry-After` of a spent budget. */
export function secondsToNextUtcDay(nowMs: number): number {
  const next = (Math.floor(nowMs / 1000 / DAY_SECONDS) + 1) * DAY_SECONDS;
  return Math.max(1, Math.ceil(next - nowMs / 1000));
}

export function totalTokens(usage: ReportedUsage): number {
  return usage.inputTokens + usage.outputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
}

/** Estimated cost in nano-dollars (a whole number), each kind of token at its own price per million. */
export function costNanoUsd(usage: ReportedUsage, price: ModelPrice | undefined): number {
  if (!price) return 0;
  const usd =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    (usage.cacheReadInputTokens ?? 0) * (price.cacheRead ?? price.input) +
    (usage.cacheWriteInputTokens ?? 0) * (price.cacheWrite ?? price.input);
  return Math.round((usd / 1e6) * NANO);
}

/**
 * Who a request's usage counts against: the authenticated caller, or, when the request brings its own AWS credentials
 * (caller credentials), their access key id: the lease's SHA-256 of it, hashed again like every caller key
 * (`sha256('access_key:' + sha256(id))`; the clear id is never stored). Each
 * access key then has its own day: temporary credentials (ASIA…) start a new one with every session, so a budget
 * holds for long-term keys; the request rate limit still counts the authenticated caller. A caller's own limits (an
 * API key's) stay with it.
 */
export function budgetCaller(authenticated: Caller, lease: { readonly credentialsKey?: string }): Caller {
  if (lease.credentialsKey === undefined) return authenticated;
  const byKey = callerOf('access_key', lease.credentialsKey);
  return authenticated.limits ? { ...byKey, limits: authenticated.limits } : byKey;
}

/** The budgets that apply to a caller: its own, else the function's. */
export function callerBudgets(config: BudgetConfig, caller: Caller): { tokensPerDay?: number; costPerDayUsd?: number } {
  return {
    tokensPerDay: caller.limits?.tokensPerDay ?? config.tokensPerDay,
    costPerDayUsd: caller.limits?.costPerDayUsd ?? config.costPerDayUsd,
  };
}

/**
 * The budget step before a model call: refuses with 429 (`token_budget_exhausted` / `cost_budget_exhausted`,
 * `Retry-After` to the next UTC day) when the caller's day is spent; when the table fails, 503
 * `budget_unavailable`, or (fail-open) lets the request through. Returns what the answer's usage counts against,
 * or undefined when no budget applies.
 */
export async function checkBudget(
  { log, facts, now }: Pick<Invocation, 'log' | 'facts' | 'now'>,
  client: BudgetTableClient,
  table: BudgetTable,
  config: BudgetConfig,
  caller: Caller,
): Promise<BudgetGate | undefined> {
  const { tokensPerDay, costPerDayUsd } = callerBudgets(config, caller);
  if (tokensPerDay === undefined && costPerDayUsd === undefined) return undefined;
  const nowMs = now();
  const gate: BudgetGate = {
    key: budgetKey(table.namespace, caller.keyHash, nowMs),
    expiresAt: (Math.floor(nowMs / 1000 / DAY_SECONDS) + 2) * DAY_SECONDS,
  };
  const conditions: string[] = [];
  const values: Record<string, { N: string }> = { ':expiresAt': { N: String(gate.expiresAt) } };
  if (tokensPerDay !== undefined) {
    conditions.push('(attribute_not_exists(#tokens) OR #tokens < :tokenLimit)');
    values[':tokenLimit'] = { N: String(tokensPerDay) };
  }
  if (costPerDayUsd !== undefined) {
    conditions.push('(attribute_not_exists(#cost) OR #cost < :costLimit)');
    values[':costLimit'] = { N: String(Math.round(costPerDayUsd * NANO)) };
  }
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { [RATE_LIMIT_TABLE.partitionKey]: { S: gate.key } },
        UpdateExpression: 'SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: {
          '#expiresAt': RATE_LIMIT_TABLE.timeToLive,
          ...(tokensPerDay !== undefined ? { '#tokens': RATE_LIMIT_TABLE.tokens } : {}),
          ...(costPerDayUsd !== undefined ? { '#cost': RATE_LIMIT_TABLE.costNanoUsd } : {}),
        },
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException') {
      // The counts that failed the condition (DynamoDB returns them; a store that does not, such as dynalite, leaves
      // the token budget as the one named when it applies).
      const item = (error as ConditionalCheckFailedException).Item;
      const tokensUsed = item?.[RATE_LIMIT_TABLE.tokens]?.N;
      const retryAfter = secondsToNextUtcDay(nowMs);
      const headers = { 'retry-after': String(retryAfter) };
      facts.budget = 'exhausted';
      if (tokensPerDay !== undefined && (tokensUsed === undefined ? item === undefined : Number(tokensUsed) >= tokensPerDay)) {
        throw new ChatError(
          429,
          'token_budget_exhausted',
          `The daily token budget (${tokensPerDay} tokens) is used up. It resets at 00:00 UTC, in ${retryAfter} s.`,
          headers,
        );
      }
      throw new ChatError(
        429,
        'cost_budget_exhausted',
        `The daily cost budget (${costPerDayUsd} USD, estimated) is used up. It resets at 00:00 UTC, in ${retryAfter} s.`,
        headers,
      );
    }
    log.error('budget_unavailable', { failOpen: config.failOpen, ...errorFields(error) });
    if (!config.failOpen) throw new ChatError(503, 'budget_unavailable', 'The service cannot check usage budgets right now. Try again shortly.');
    facts.budgetFailedOpen = true;
  }
  return gate;
}

/**
 * Refusals DynamoDB answers before applying anything: the one count is safe to send again after them, as after a
 * failure before the connection was established (aws/https-caller.ts marks it: the request never left).
 */
const NOT_APPLIED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/**
 * Counts an answer's usage against the caller's day: one atomic `ADD` per answer, no read-modify-write. Called once
 * the answer ended, or once it failed with what it used so far ({@link recordUsageSoFar}); `cost` in nano-dollars. Sent again only
 * after a refusal that proves nothing was written (throttling), or a failure before its connection was established
 * (the request never left: a connection timeout on a stalled event loop); an outcome left unknown (a timeout after the request was sent) is
 * not retried, since a second `ADD` could count the answer twice: it is logged with the tokens (`budget_count_failed`),
 * never shown to the caller. Give it a client without SDK retries (entry/clients/dynamodb.ts `usageCounterClient`).
 */
export async function recordUsage(
  { log, facts }: Pick<Invocation, 'log' | 'facts'>,
  client: BudgetTableClient,
  table: BudgetTable,
  gate: BudgetGate | undefined,
  usage: ReportedUsage,
  cost: number,
): Promise<void> {
  if (!gate) return;
  const tokens = totalTokens(usage);
  if (tokens === 0 && cost === 0) return;
  const count = new UpdateItemCommand({
    TableName: table.tableName,
    Key: { [RATE_LIMIT_TABLE.partitionKey]: { S: gate.key } },
    UpdateExpression: 'ADD #tokens :tokens, #cost :cost SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    ExpressionAttributeNames: {
      '#tokens': RATE_LIMIT_TABLE.tokens,
      '#cost': RATE_LIMIT_TABLE.costNanoUsd,
      '#expiresAt': RATE_LIMIT_TABLE.timeToLive,
    },
    ExpressionAttributeValues: { ':tokens': { N: String(tokens) }, ':cost': { N: String(cost) }, ':expiresAt': { N: String(gate.expiresAt) } },
  });
  try {
    try {
      await client.send(count);
    } catch (error) {
      if (!NOT_APPLIED.has((error as Error)?.name) && !wasNotSent(error)) throw error;
      await client.send(count);
    }
  } catch (error) {
    facts.budgetCounted = false;
    log.error('budget_count_failed', { tokens, ...errorFields(error) });
  }
}

/**
 * Counts what an answer that did not end (it failed, or was cut) used so far ({@link UsageTally}): the usage Bedrock
 * reported, else the tally's estimate once the stream began; nothing when it stopped before its first delta. The summary line says how
 * much and whether it was estimated (`tokensSoFar`, `tokensSoFarEstimated`).
 */
export async function recordUsageSoFar(
  invocation: Pick<Invocation, 'log' | 'facts'>,
  client: BudgetTableClient,
  table: BudgetTable,
  gate: BudgetGate | undefined,
  tally: UsageTally,
): Promise<void> {
  const used = tally.soFar();
  if (!used) return;
  Object.assign(invocation.facts, { tokensSoFar: totalTokens(used.usage), tokensSoFarEstimated: used.estimated });
  await recordUsage(invocation, client, table, gate, used.usage, costNanoUsd(used.usage, tally.price));
}

/** A caller's budget for one request, as the modes that answer with a model use it. */
export interface CallerBudget {
  /** Before the model call: refuses a spent budget (429), or 503 when the table cannot be read and the budget fails closed. */
  check(): Promise<void>;
  /** Once the answer ended: counts its usage and its estimated cost (US dollars, when the model has prices). */
  record(usage: ReportedUsage | undefined, estimatedCostUsd: number | undefined): Promise<void>;
  /** Once the answer failed or was cut: counts what it used so far ({@link recordUsageSoFar}), at its model's prices. */
  recordSoFar(tally: UsageTally): Promise<void>;
}

/** {@link checkBudget} (on `client`) and {@link recordUsage} (on `counter`, a client without retries) bound to one caller and request. */
export function callerBudget(
  invocation: Pick<Invocation, 'log' | 'facts' | 'now'>,
  client: BudgetTableClient,
  table: BudgetTable,
  config: BudgetConfig,
  caller: Caller,
  counter: BudgetTableClient = client,
): CallerBudget {
  let gate: BudgetGate | undefined;
  return {
    check: async () => {
      gate = await checkBudget(invocation, client, table, config, caller);
    },
    record: async (usage, estimatedCostUsd) => {
      if (usage) await recordUsage(invocation, counter, table, gate, usage, Math.round((estimatedCostUsd ?? 0) * NANO));
    },
    recordSoFar: (tally) => recordUsageSoFar(invocation, counter, table, gate, tally),
  };
}
