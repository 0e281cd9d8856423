/**
 * Structured logs: one JSON object per line, written straight to stdout (info) or stderr (error).
 *
 * Straight to the streams, not through `console`: with the function's JSON log format the Lambda runtime wraps
 * whatever `console.log` prints as the string `message` of its own JSON object, which would hide the summary
 * line's Embedded Metric Format members from CloudWatch Logs (metrics.ts). A line already in JSON is passed on
 * as it is (Lambda Developer Guide, "Configuring JSON and plain text log formats").
 *
 * Fields are flat primitives by type, so an event, a header map or the authorizer object cannot be
 * logged by accident. Never log message or history text, credentials, signatures or tokens.
 */

export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  /** `embedded`: members written after the fields, e.g. the summary line's metrics (`_aws` and their values). */
  info(event: string, fields?: LogFields, embedded?: Readonly<Record<string, unknown>>): void;
  error(event: string, fields?: LogFields, embedded?: Readonly<Record<string, unknown>>): void;
}

/** Where lines go; stdout and stderr in Lambda, a capture in tests. */
export interface LogSink {
  log(line: string): void;
  error(line: string): void;
}

/** Each line as it is, on stdout or stderr (what Lambda ships to CloudWatch Logs). */
export const STANDARD_STREAMS: LogSink = {
  log: (line) => {
    process.stdout.write(`${line}\n`);
  },
  error: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

export function createLogger(requestId: string, sink: LogSink = STANDARD_STREAMS): Logger {
  const line = (level: 'info' | 'error', event: string, fields: LogFields = {}, embedded: Readonly<Record<string, unknown>> = {}): string =>
    JSON.stringify({ level, event, requestId, ...fields, ...embedded });
  return {
    info: (event, fields, embedded) => sink.log(line('info', event, fields, embedded)),
    error: (event, fields, embedded) => sink.error(line('error', event, fields, embedded)),
  };
}

const MAX_ERROR_MESSAGE = 300;

/**
 * The loggable facts of an error: its name, code, HTTP status and AWS request id, and a truncated message
 * (AWS error messages name the failed permission or limit, never the request's text).
 */
export function errorFields(error: unknown): LogFields {
  if (!isError(error)) return { errorName: typeof error };
  const { code, $metadata } = error as Error & { code?: unknown; $metadata?: { httpStatusCode?: number; requestId?: string } };
  return {
    errorName: error.name,
    errorMessage: error.message.length > MAX_ERROR_MESSAGE ? `${error.message.slice(0, MAX_ERROR_MESSAGE)}…` : error.message,
    errorCode: typeof code === 'string' ? code : undefined,
    upstreamStatus: $metadata?.httpStatusCode,
    upstreamRequestId: $metadata?.requestId,
  };
}

/**
 * `instanceof Error` that also holds for errors from another realm (Node core errors seen from a Jest
 * sandbox, for instance), so tests classify errors exactly as Lambda does.
 */
export function isError(value: unknown): value is Error {
  // An error of another realm (a test's VM context) fails instanceof; its internal error slot still shows in the
  // tag (what util.types.isNativeError reads, without loading node:util and its dependencies at every cold start).
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}
