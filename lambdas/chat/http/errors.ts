/**
 * The errors a caller can see: a stable machine-readable `code`, an HTTP status and a human message.
 *
 * Body shape: `{ "error": { "code": "...", "message": "..." } }`. Messages never carry stack traces,
 * AWS request ids or the caller's text.
 */

/** Every code the chat runtime answers with. Clients may switch on these; they are a public contract. */
export const ERROR_CODES = [
  'method_not_allowed',
  'payload_too_large',
  'invalid_json',
  'invalid_body',
  'message_required',
  'message_too_long',
  'invalid_history',
  'model_not_allowed',
  'rate_limited',
  'rate_limiter_unavailable',
  'model_access_denied',
  'model_not_found',
  'model_rejected_request',
  'throttled',
  'upstream_error',
  'upstream_unavailable',
  'upstream_timeout',
  'internal_error',
  // RAG mode (entry/iam-rag.ts): Retrieve failures
  'knowledge_base_access_denied',
  'knowledge_base_not_found',
  'retrieval_failed',
  'retrieval_unavailable',
  // JWT modes (entry/jwt-model.ts, entry/jwt-agent.ts)
  'route_not_found',
  'token_missing',
  'token_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_wrong_issuer',
  'token_wrong_audience',
  'token_wrong_type',
  'token_unknown_key',
  'token_missing_claim',
  'auth_unavailable',
  'prompt_required',
  'prompt_too_long',
  'chat_not_found',
  'invalid_limit',
  'invalid_cursor',
  'history_unavailable',
  'agent_access_denied',
  'agent_not_found',
  'agent_rejected_request',
  'agent_session_busy',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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
