/**
 * Errors and retries of the function's own AWS calls, with the AWS SDK's semantics so that the mapping to the
 * chat's codes (bedrock/errors.ts, chats/chat-store.ts, …) reads them unchanged:
 * - a service error is an `Error` named after the service's exception (`ThrottlingException`, from
 *   `x-amzn-errortype` or the JSON `__type`), with its message, the body's other fields, `$fault` and
 *   `$metadata` (`httpStatusCode`, `requestId`, `attempts`, `totalRetryDelay`);
 * - an exception event inside an event stream is named the same way (`throttlingException` → `ThrottlingException`);
 * - retried (up to the client's `maxAttempts`) like the SDK's standard mode: throttling (by name or 429), transient
 *   errors (timeouts, connection failures) and server errors (500, 502, 503, 504), after a full-jitter backoff of
 *   up to 2^attempt × 100 ms (500 ms base when throttled), bounded by a retry quota (500 tokens, 5 per retry, 10 per
 *   timeout retry, 1 back per success) shared by the client's calls.
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
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const SERVER_STATUS = new Set([500, 502, 503, 504]);

function isThrottling(error: Error & { $metadata?: ResponseMetadata; $retryable?: { throttling?: boolean } }): boolean {
  return error.$metadata?.httpStatusCode === 429 || THROTTLING.has(error.name) || error.$retryable?.throttling === true;
}

/** An `Error`, from this realm or another (Node's own errors seen from a test's VM context fail `instanceof`). */
export function isErrorValue(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/** Whether the SDK's standard retry mode retries `error`. */
export function isRetryable(error: unknown): boolean {
  if (!isErrorValue(error) || error.name === 'AbortError') return false;
  const e = error as Error & { code?: string; $metadata?: ResponseMetadata; $retryable?: { throttling?: boolean } };
  return (
    isThrottling(e) ||
    e.$retryable !== undefined ||
    TRANSIENT.has(e.name) ||
    (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) ||
    SERVER_STATUS.has(e.$metadata?.httpStatusCode ?? 0)
  );
}

const MAX_DELAY_MS = 20_000;
const QUOTA = 500;

/** Retries of one client's calls (the retry quota is per client, as in the SDK). */
export class RetryPolicy {
  private tokens = QUOTA;

  constructor(private readonly maxAttempts: number) {}

  /**
   * Runs `attempt` until it succeeds, fails with an error not worth retrying, or runs out of attempts; the error
   * thrown (or the result) carries `$metadata.attempts` and `totalRetryDelay`.
   */
  async run<T extends { $metadata?: ResponseMetadata }>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let totalRetryDelay = 0;
    for (let attempts = 1; ; attempts++) {
      try {
        const result = await attempt();
        this.tokens = Math.min(QUOTA, this.tokens + 1);
        if (result.$metadata) Object.assign(result.$metadata, { attempts, totalRetryDelay });
        return result;
      } catch (error) {
        const e = error as Error & { $metadata?: ResponseMetadata };
        const cost = e.name === 'TimeoutError' ? 10 : 5;
        if (attempts >= this.maxAttempts || !isRetryable(error) || this.tokens < cost || signal?.aborted) {
          if (isErrorValue(e)) e.$metadata = { ...e.$metadata, attempts, totalRetryDelay };
          throw error;
        }
        this.tokens -= cost;
        const base = isThrottling(e) ? 500 : 100;
        const delay = Math.floor(Math.min(MAX_DELAY_MS, Math.random() * 2 ** attempts * base));
        totalRetryDelay += delay;
        await sleep(delay, signal);
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The error an aborted call fails with (the SDK's `AbortError`). */
export function abortError(signal: AbortSignal): Error {
  const error = namedError('AbortError', 'Request aborted');
  (error as Error & { cause?: unknown }).cause = signal.reason;
  return error;
}
