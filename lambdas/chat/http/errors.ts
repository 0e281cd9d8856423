/**
 * The errors a caller can see: a stable machine-readable `code`, an HTTP status and a human message.
 *
 * Body shape: `{ "error": { "code": "...", "message": "..." } }`. Messages never carry stack traces,
 * AWS request ids or the caller's text.
 */

import { ERROR_CODES, type ErrorCode } from '../../../contract/errors';

export { ERROR_CODES, type ErrorCode };

export class ChatError extends Error {
  public readonly name = 'ChatError';

  constructor(
    public readonly status: number,
    public readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. `retry-after` or `allow` (lower-case names). */
    public readonly headers: Readonly<Record<string, string>> = {},
    /** The upstream or internal error behind this one, for the log (never sent to the caller). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The generic answer for a bug: the details go to the log, never to the caller. */
export function internalError(cause?: unknown): ChatError {
  return new ChatError(500, 'internal_error', 'An internal error occurred. Try again later.', {}, cause);
}

export function errorBody(error: ChatError): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}
