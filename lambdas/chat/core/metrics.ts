/**
 * The summary line as CloudWatch Embedded Metric Format: the `_aws` metadata and the metric and dimension members
 * that turn the one `chat_request` line each invocation already writes into metrics. No `PutMetricData` call, no
 * client, no added latency: CloudWatch Logs extracts the metrics from the log event.
 *
 * Specification: Amazon CloudWatch User Guide, "Specification: Embedded metric format". The root holds `_aws`
 * (`Timestamp` in epoch milliseconds, `CloudWatchMetrics`: directives of `Namespace`, `Dimensions` (arrays of
 * dimension names) and `Metrics` (`Name`, `Unit`)); every dimension is a string member of the root and every metric a
 * number member. A directive only declares the metrics this line has a value for, and the `Model` directive only
 * appears when the request named a model.
 *
 * What is measured comes from the line's facts (contract/metrics.ts says which, under which dimensions); the
 * dimensions are the function's name, the model alias, the outcome code and its class: never a caller, key, chat id.
 */
import {
  BUDGET_EXHAUSTED_CODES,
  GUARDRAIL_INTERVENED,
  METRIC_DIMENSIONS,
  METRIC_DIRECTIVES,
  METRICS,
  METRICS_NAMESPACE,
  type MetricDimension,
  type MetricKey,
  OUTCOME_CLASSES,
  OUTCOME_CLIENT_DISCONNECTED,
  OUTCOME_OK,
  type OutcomeClass,
  RATE_LIMITED_CODE,
  UPSTREAM_ERROR_CODES,
  UPSTREAM_THROTTLE_CODES,
} from '../../../contract/metrics';
import type { LogValue } from './log';

/** The facts of a summary line the metrics are read from (the names the handlers use). */
export interface MetricFacts {
  readonly outcome: string;
  readonly status: number | undefined;
  /** The failure came after the status was sent (an in-band error). */
  readonly midStream?: LogValue;
  readonly latencyMs: number;
  readonly [fact: string]: LogValue;
}

/** The `_aws` member of an EMF document. */
export interface EmfMetadata {
  readonly Timestamp: number;
  readonly CloudWatchMetrics: ReadonlyArray<{
    readonly Namespace: string;
    readonly Dimensions: ReadonlyArray<readonly string[]>;
    readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
  }>;
}

/** What the summary line gains: `_aws` and one member per dimension and metric. */
export type EmfMembers = { readonly _aws: EmfMetadata } & Readonly<Record<string, string | number | EmfMetadata>>;

/** The class of an outcome code: `ok`, `client_error`, `server_error` or `client_disconnected`. */
export function outcomeClass(outcome: string, status: number | undefined, midStream: LogValue): OutcomeClass {
  if (outcome === OUTCOME_OK) return OUTCOME_CLASSES.ok;
  if (outcome === OUTCOME_CLIENT_DISCONNECTED) return OUTCOME_CLASSES.clientDisconnected;
  if ((status ?? 500) >= 500 || (midStream === true && outcome !== GUARDRAIL_INTERVENED)) return OUTCOME_CLASSES.serverError;
  return OUTCOME_CLASSES.clientError;
}

/**
 * The EMF members of one summary line. `functionName` is the Lambda function's name (`AWS_LAMBDA_FUNCTION_NAME`),
 * `timestamp` the line's time in epoch milliseconds.
 */
export function embeddedMetrics(facts: MetricFacts, functionName: string, timestamp: number): EmfMembers {
  const klass = outcomeClass(facts.outcome, facts.status, facts.midStream);
  const stopped = facts.outcome === GUARDRAIL_INTERVENED || facts.stopReason === GUARDRAIL_INTERVENED;
  const values: Partial<Record<MetricKey, number>> = {
    requests: 1,
    latency: facts.latencyMs,
    timeToFirstToken: numberFact(facts.timeToFirstTokenMs),
    inputTokens: numberFact(facts.inputTokens),
    outputTokens: numberFact(facts.outputTokens),
    cacheReadInputTokens: numberFact(facts.cacheReadInputTokens),
    cacheWriteInputTokens: numberFact(facts.cacheWriteInputTokens),
    estimatedCost: numberFact(facts.estimatedCostUsd),
    rateLimited: flag(facts.outcome === RATE_LIMITED_CODE),
    budgetExhausted: flag(BUDGET_EXHAUSTED_CODES.includes(facts.outcome)),
    guardrailInterventions: flag(stopped),
    upstreamThrottles: flag((UPSTREAM_THROTTLE_CODES as readonly string[]).includes(facts.outcome)),
    upstreamErrors: flag((UPSTREAM_ERROR_CODES as readonly string[]).includes(facts.outcome)),
    serverErrors: flag(klass === OUTCOME_CLASSES.serverError),
  };
  const model = typeof facts.model === 'string' && facts.model !== '' ? facts.model : undefined;
  const dimensionValues: Record<MetricDimension, string | undefined> = {
    [METRIC_DIMENSIONS.functionName]: functionName,
    [METRIC_DIMENSIONS.model]: model,
    [METRIC_DIMENSIONS.outcome]: facts.outcome,
    [METRIC_DIMENSIONS.outcomeClass]: klass,
  };

  const directives = METRIC_DIRECTIVES.filter(({ dimensions }) => dimensions.every((name) => dimensionValues[name] !== undefined)).flatMap(
    ({ dimensions, metrics }) => {
      const present = metrics.filter((key) => values[key] !== undefined);
      return present.length === 0
        ? []
        : [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [[...dimensions]],
              Metrics: present.map((key) => ({ Name: METRICS[key].name, Unit: METRICS[key].unit })),
            },
          ];
    },
  );
  const members: Record<string, string | number> = {};
  for (const { Dimensions } of directives) for (const name of Dimensions[0]) members[name] = dimensionValues[name as MetricDimension] as string;
  for (const [key, value] of Object.entries(values)) if (value !== undefined) members[METRICS[key as MetricKey].name] = value;
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: directives }, ...members };
}

function numberFact(value: LogValue): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}
