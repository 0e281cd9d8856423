/**
 * Structured logs: one JSON object per line on stdout (`console.log`) or stderr (`console.error`).
 *
 * Fields are flat primitives by type, so an event, a header map or the authorizer object cannot be
 * logged by accident. Never log message or history text, credentials, signatures or tokens.
 */
import { types } from 'node:util';

export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Where lines go; `console` in Lambda, a capture in tests. */
export interface LogSink {
  log(line: string): void;
  error(line: string): void;
}

export function createLogger(requestId: string, sink: LogSink = console): Logger {
  const line = (level: 'info' | 'error', event: string, fields: LogFields = {}): string => JSON.stringify({ level, event, requestId, ...fields });
  return {
    info: (event, fields) => sink.log(line('info', event, fields)),
    error: (event, fields) => sink.error(line('error', event, fields)),
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
  return value instanceof Error || types.isNativeError(value);
}
