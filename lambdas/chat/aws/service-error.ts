/**
 * Errors and retries of the function's own AWS calls, with the AWS SDK's semantics so that the mapping to the
 * chat's codes (bedrock/errors.ts, chats/chat-store.ts, …) reads them unchanged:
 * - a service error is an `Error` named after the service's exception (`ThrottlingException`, from
 *   `x-amzn-errortype` or the JSON `__type`), with its message, the body's other fields, `$fault` and
 *   `$metadata` (`httpStatusCode`, `requestId`, `attempts`, `totalRetryDelay`);
 * - an exception event inside an event stream is named the same way (`throttlingException` → `ThrottlingException`);
 * - retried as the SDK's standard retry strategy and middleware retry (ported here, with the strategy's interface:
 *   `client.config.retryStrategy()`): throttling (by name or 429) and transient errors (timeouts, connection
 *   failures, 500/502/503/504), up to the client's `maxAttempts`, after a full-jitter backoff, within a retry quota.
 */

export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

export type ServiceError = Error & { $fault: 'client' | 'server'; $metadata: ResponseMetadata; $retryable?: { throttling?: boolean } };

export function serviceError(
  name: string,
  message: string,
  fields: Record<string, unknown>,
  metadata: ResponseMetadata,
  status?: number,
): ServiceError {
  const error = new Error(message) as ServiceError;
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'message' && key !== 'Message' && key !== '__type' && key !== 'name' && key !== 'stack')
      (error as unknown as Record<string, unknown>)[key] = value;
  }
  error.name = name;
  error.$fault = status !== undefined && status < 500 ? 'client' : 'server';
  error.$metadata = metadata;
  return error;
}

/** The service error of a non-2xx response: `x-amzn-errortype` (restJson) or `__type` (awsJson), else the status. */
export function responseError(status: number, headers: Record<string, string | string[] | undefined>, body: string): ServiceError {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = body ? JSON.parse(body) : {};
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's page): the status names the error
  }
  const header = headers['x-amzn-errortype'];
  const rawType =
    (typeof header === 'string' ? header : undefined) ??
    (typeof parsed.__type === 'string' ? parsed.__type : undefined) ??
    (typeof parsed.code === 'string' ? parsed.code : '');
  const name =
    rawType.split(':')[0]?.split('#').pop() || `${status === 429 ? 'TooManyRequests' : status >= 500 ? 'ServiceUnavailable' : 'Unknown'}Error`;
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : name;
  const requestId = headers['x-amzn-requestid'] ?? headers['x-amz-request-id'];
  return serviceError(name, message, parsed, { httpStatusCode: status, ...(typeof requestId === 'string' ? { requestId } : {}) }, status);
}

/**
 * Marks a failure that happened before the request's connection was established: no byte of the request left, so
 * the service cannot have applied it, and sending it again cannot do anything twice (a connection refused, a
 * connection timeout, a DNS failure).
 */
export function markNotSent<T>(error: T): T {
  if (error !== null && typeof error === 'object') Object.assign(error, { requestNotSent: true });
  return error;
}

/** Whether {@link markNotSent} marked the failure. */
export function wasNotSent(error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as { requestNotSent?: unknown }).requestNotSent === true;
}

/** `Error` named `name` (`TimeoutError`, `AbortError`), as the SDK's HTTP handlers name theirs. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

type Classified = Error & { code?: unknown; cause?: unknown; $metadata?: ResponseMetadata; $retryable?: { throttling?: boolean } };

/** An `Error`, from this realm or another (Node's own errors seen from a test's VM context fail `instanceof`). */
export function isErrorValue(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function isThrottling(error: Classified): boolean {
  return error.$metadata?.httpStatusCode === 429 || THROTTLING.has(error.name) || error.$retryable?.throttling === true;
}

function isTransient(error: Classified, depth = 0): boolean {
  if (error.name === 'AbortError') return false;
  return (
    error.$retryable !== undefined ||
    (error.name === 'InvalidSignatureException' && error.message.includes('Signature expired')) ||
    TRANSIENT.has(error.name) ||
    (typeof error.code === 'string' && TRANSIENT_CODES.has(error.code)) ||
    TRANSIENT_STATUS.has(error.$metadata?.httpStatusCode ?? 0) ||
    (error.code === 'ERR_HTTP2_STREAM_ERROR' && error.message.includes('NGHTTP2_REFUSED_STREAM')) ||
    (isErrorValue(error.cause) && depth <= 10 && isTransient(error.cause as Classified, depth + 1))
  );
}

export type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

/** How the SDK's retry middleware classifies `error`. */
export function retryErrorType(error: unknown): RetryErrorType {
  if (!isErrorValue(error)) return 'CLIENT_ERROR';
  const e = error as Classified;
  if (isThrottling(e)) return 'THROTTLING';
  if (isTransient(e)) return 'TRANSIENT';
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500 && status <= 599 ? 'SERVER_ERROR' : 'CLIENT_ERROR';
}

const MAX_DELAY_MS = 20_000;
const BASE_DELAY_MS = 50;
const THROTTLING_DELAY_MS = 1_000;
const INITIAL_CAPACITY = 500;
const COST = 14;
const THROTTLING_COST = 5;

export interface RetryToken {
  getRetryCount(): number;
  getRetryCost(): number | undefined;
  getRetryDelay(): number;
}

/** Full jitter: a random delay below base × 2^attempt (at most 20 s). */
export class JitteredBackoff {
  private base = BASE_DELAY_MS;
  setDelayBase(ms: number): void {
    this.base = ms;
  }
  computeNextBackoffDelay(attempt: number): number {
    return Math.floor(Math.random() * Math.min(this.base * 2 ** attempt, MAX_DELAY_MS));
  }
}

/**
 * The AWS SDK's standard retry strategy (`@smithy/core` StandardRetryStrategy), with its interface: at most
 * `maxAttempts` attempts; throttling and transient errors retried after a jittered backoff (50 ms base, 1 s when
 * throttled); a retry quota of 500 (14 per retry, 5 per throttling retry, back on success) shared by the client's
 * calls, so a failing upstream is not hammered.
 */
export class StandardRetryStrategy {
  readonly mode = 'standard';
  readonly retryBackoffStrategy = new JitteredBackoff();
  private capacity = INITIAL_CAPACITY;

  constructor(private readonly attempts: number) {}

  async maxAttempts(): Promise<number> {
    return this.attempts;
  }

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return token(0, undefined, 0);
  }

  /** The token for the next attempt, after its delay; rejects when the error is not retried. */
  async refreshRetryTokenForRetry(previous: RetryToken, errorInfo: { errorType: RetryErrorType }): Promise<RetryToken> {
    const { errorType } = errorInfo;
    const cost = errorType === 'THROTTLING' ? THROTTLING_COST : COST;
    const retryable = errorType === 'THROTTLING' || errorType === 'TRANSIENT';
    if (!retryable || previous.getRetryCount() + 1 >= this.attempts || this.capacity < cost) throw new Error('No retry token available');
    this.retryBackoffStrategy.setDelayBase(errorType === 'THROTTLING' ? THROTTLING_DELAY_MS : BASE_DELAY_MS);
    const delay = this.retryBackoffStrategy.computeNextBackoffDelay(previous.getRetryCount());
    this.capacity -= cost;
    await new Promise((resolve) => setTimeout(resolve, delay));
    return token(previous.getRetryCount() + 1, cost, delay);
  }

  recordSuccess(used: RetryToken): void {
    this.capacity = Math.min(INITIAL_CAPACITY, this.capacity + (used.getRetryCost() ?? 1));
  }
}

function token(count: number, cost: number | undefined, delay: number): RetryToken & { readonly acquisitionDelay: number } {
  return { getRetryCount: () => count, getRetryCost: () => cost, getRetryDelay: () => 0, acquisitionDelay: delay };
}

/**
 * Runs `attempt` as the SDK's retry middleware does with `strategy`: until it succeeds or the strategy refuses a
 * retry; the result (or the last error) carries `$metadata.attempts` and `totalRetryDelay`. An abort ends the
 * retries at once.
 */
export async function withRetries<T extends { $metadata?: ResponseMetadata }>(
  strategy: StandardRetryStrategy,
  attempt: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  let current = await strategy.acquireInitialRetryToken('');
  let attempts = 0;
  let totalRetryDelay = 0;
  for (;;) {
    try {
      const result = await attempt();
      strategy.recordSuccess(current);
      if (result.$metadata) Object.assign(result.$metadata, { attempts: attempts + 1, totalRetryDelay });
      return result;
    } catch (error) {
      const last = error as Error & { $metadata?: ResponseMetadata };
      try {
        if (signal?.aborted) throw last;
        current = await strategy.refreshRetryTokenForRetry(current, { errorType: retryErrorType(error) });
      } catch {
        if (isErrorValue(last)) last.$metadata = { ...last.$metadata, attempts: attempts + 1, totalRetryDelay };
        throw last;
      }
      attempts = current.getRetryCount();
      totalRetryDelay += (current as RetryToken & { acquisitionDelay?: number }).acquisitionDelay ?? 0;
      if (signal?.aborted && signal.reason !== undefined) throw abortError(signal);
    }
  }
}

/** The error an aborted call fails with (the SDK's `AbortError`). */
export function abortError(signal: AbortSignal): Error {
  const error = namedError('AbortError', 'Request aborted');
  (error as Error & { cause?: unknown }).cause = signal.reason;
  return error;
}
