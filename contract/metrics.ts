/**
 * The CloudWatch metrics a chat function emits, written once: the runtime puts them into its one summary log
 * line in Embedded Metric Format (lambdas/chat/core/metrics.ts), and the constructs' `metric*()` methods,
 * dashboard and alarms read them by the same names. A test runs the handlers, parses their lines and checks every
 * synthesized alarm and widget against what was emitted.
 *
 * Dimensions stay low-cardinality: the function, the model alias, the outcome code (a closed list, errors.ts) and
 * its class. Never a caller, key or chat id.
 */
import type { ErrorCode } from './errors';

/** The CloudWatch namespace of every chat metric. */
export const METRICS_NAMESPACE = 'BedrockChat';

/** Dimension names (values: the function's name, a model alias, an outcome code, an outcome class). */
export const METRIC_DIMENSIONS = {
  functionName: 'FunctionName',
  model: 'Model',
  outcome: 'Outcome',
  outcomeClass: 'OutcomeClass',
} as const;

export type MetricDimension = (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS];

/** Metric names, with the unit each is emitted in (an EMF unit name, which is also a CloudWatch unit). */
export const METRICS = {
  /** 1 per request: summed, the traffic; by `Outcome` / `OutcomeClass`, the outcomes. */
  requests: { name: 'Requests', unit: 'Count' },
  /** From the event's arrival to the response's end. */
  latency: { name: 'Latency', unit: 'Milliseconds' },
  /** From the event's arrival to the first text sent (answers with text only). */
  timeToFirstToken: { name: 'TimeToFirstToken', unit: 'Milliseconds' },
  inputTokens: { name: 'InputTokens', unit: 'Count' },
  outputTokens: { name: 'OutputTokens', unit: 'Count' },
  cacheReadInputTokens: { name: 'CacheReadInputTokens', unit: 'Count' },
  cacheWriteInputTokens: { name: 'CacheWriteInputTokens', unit: 'Count' },
  /** US dollars, from the token counts and the prices the construct was given (only for priced models). */
  estimatedCost: { name: 'EstimatedCost', unit: 'None' },
  /** 1 when the caller's rate limit refused the request, else 0 (averaged: the share of requests). */
  rateLimited: { name: 'RateLimited', unit: 'Count' },
  /** 1 when a usage budget refused the request, else 0. */
  budgetExhausted: { name: 'BudgetExhausted', unit: 'Count' },
  /** 1 when a guardrail intervened, else 0. */
  guardrailInterventions: { name: 'GuardrailInterventions', unit: 'Count' },
  /** 1 when Bedrock throttled the request, else 0. */
  upstreamThrottles: { name: 'UpstreamThrottles', unit: 'Count' },
  /** 1 when Bedrock (a model, a knowledge base or an agent) failed or refused access, else 0. */
  upstreamErrors: { name: 'UpstreamErrors', unit: 'Count' },
  /** 1 when the answer was a 5xx or failed after its status was sent, else 0. */
  serverErrors: { name: 'ServerErrors', unit: 'Count' },
} as const;

export type MetricKey = keyof typeof METRICS;

/**
 * Which metrics are emitted under which dimension sets. Every set names the function, so one function's metrics
 * never mix with another's; the backend is a property of the line, not a dimension (one function serves one
 * backend, so `FunctionName` already separates them).
 */
export const METRIC_DIRECTIVES: ReadonlyArray<{ readonly dimensions: readonly MetricDimension[]; readonly metrics: readonly MetricKey[] }> = [
  {
    dimensions: [METRIC_DIMENSIONS.functionName],
    metrics: [
      'requests',
      'latency',
      'timeToFirstToken',
      'inputTokens',
      'outputTokens',
      'cacheReadInputTokens',
      'cacheWriteInputTokens',
      'estimatedCost',
      'rateLimited',
      'budgetExhausted',
      'guardrailInterventions',
      'upstreamThrottles',
      'upstreamErrors',
      'serverErrors',
    ],
  },
  {
    dimensions: [METRIC_DIMENSIONS.functionName, METRIC_DIMENSIONS.model],
    metrics: [
      'requests',
      'timeToFirstToken',
      'inputTokens',
      'outputTokens',
      'cacheReadInputTokens',
      'cacheWriteInputTokens',
      'estimatedCost',
      'guardrailInterventions',
    ],
  },
  { dimensions: [METRIC_DIMENSIONS.functionName, METRIC_DIMENSIONS.outcome], metrics: ['requests'] },
  { dimensions: [METRIC_DIMENSIONS.functionName, METRIC_DIMENSIONS.outcomeClass], metrics: ['requests'] },
];

/** Outcome classes (`OutcomeClass`): what a request's outcome code amounts to. */
export const OUTCOME_CLASSES = {
  ok: 'ok',
  /** A 4xx of the caller's making (bad input, no token, rate-limited, a guardrail's refusal). */
  clientError: 'client_error',
  /** A 5xx, or a failure after the answer's status was sent. */
  serverError: 'server_error',
  /** The client went away before the answer ended. */
  clientDisconnected: 'client_disconnected',
} as const;

export type OutcomeClass = (typeof OUTCOME_CLASSES)[keyof typeof OUTCOME_CLASSES];

/** Outcome codes besides the error codes: a complete answer, and a client that left. */
export const OUTCOME_OK = 'ok';
export const OUTCOME_CLIENT_DISCONNECTED = 'client_disconnected';

/** The codes counted as Bedrock throttling. */
export const UPSTREAM_THROTTLE_CODES: readonly ErrorCode[] = ['throttled'];

/** The codes counted as Bedrock failures: the model, knowledge base or agent failed, timed out or refused access. */
export const UPSTREAM_ERROR_CODES: readonly ErrorCode[] = [
  'upstream_error',
  'upstream_unavailable',
  'upstream_timeout',
  'model_access_denied',
  'model_not_found',
  'knowledge_base_access_denied',
  'knowledge_base_not_found',
  'retrieval_failed',
  'retrieval_unavailable',
  'agent_access_denied',
  'agent_not_found',
];

/** The outcome of a request its caller's rate limit refused. */
export const RATE_LIMITED_CODE: ErrorCode = 'rate_limited';

/** The outcomes of a request a usage budget refused (the usage budgets' codes). */
export const BUDGET_EXHAUSTED_CODES: readonly string[] = ['token_budget_exhausted', 'cost_budget_exhausted', 'budget_exhausted'];

/** The stop reason and outcome code of an answer a guardrail stopped. */
export const GUARDRAIL_INTERVENED = 'guardrail_intervened';
