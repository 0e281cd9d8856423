/**
 * The bearer token of a request, and the 401 answers of bearer-token authentication (`CHAT_AUTH_MODE=jwt`).
 *
 * The token comes from `Authorization: Bearer <token>` (RFC 6750 §2.1) or, for older clients that send an
 * ID token under its own name, from an `id_token: <token>` header. A request carrying two different tokens is refused
 * (RFC 6750 §2: a client MUST NOT use more than one method).
 *
 * Every 401 carries `WWW-Authenticate: Bearer realm="chat"` (RFC 6750 §3). A request with no token gets
 * no error attributes (§3.1: "SHOULD NOT include an error code" when authentication is simply absent);
 * a request with two tokens gets `error="invalid_request"`; a token that fails verification gets
 * `error="invalid_token"` and an `error_description`.
 */
import { ChatError, type ErrorCode } from '../http/errors';
import type { FunctionUrlEvent } from '../http/event';

export const AUTH_REALM = 'chat';

/** Longer tokens are refused unparsed (Cognito ID tokens with many groups stay far below this). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** `Bearer <b64token>`; the scheme is case-insensitive (RFC 7235 §2.1). */
const BEARER = /^Bearer +(\S+) *$/i;
/** RFC 6750 b64token: the characters a JWS compact serialization is made of, and a few more. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export type BearerError = 'invalid_token' | 'invalid_request';

/** A 401 with the `WWW-Authenticate` challenge; `error` absent for a request without credentials. */
export function unauthorized(code: ErrorCode, message: string, error?: BearerError, cause?: unknown): ChatError {
  return new ChatError(401, code, message, { 'www-authenticate': challenge(error, message) }, cause);
}

export function challenge(error: BearerError | undefined, description: string): string {
  if (error === undefined) return `Bearer realm="${AUTH_REALM}"`;
  // error_description allows %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash, ASCII only.
  const safe = description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return `Bearer realm="${AUTH_REALM}", error="${error}", error_description="${safe}"`;
}

/** The request's token, or a 401 `token_missing` / `token_invalid`. Never logs or echoes the token. */
export function bearerToken(event: FunctionUrlEvent): string {
  const headers = event.headers ?? {};
  const authorization = headers.authorization?.trim();
  // Another scheme (Basic, AWS4-HMAC-SHA256…) is not a bearer token: as if there were none (RFC 6750 §3.1).
  const fromAuthorization = authorization && /^Bearer(\s|$)/i.test(authorization) ? (BEARER.exec(authorization)?.[1] ?? '') : undefined;
  const fromIdToken = headers.id_token?.trim();

  if (fromAuthorization !== undefined && fromIdToken !== undefined && fromIdToken !== '' && fromAuthorization !== fromIdToken) {
    throw unauthorized('token_invalid', 'The request carries two different tokens (Authorization and id_token). Send one.', 'invalid_request');
  }
  const token = fromAuthorization ?? (fromIdToken === '' ? undefined : fromIdToken);
  if (token === undefined) {
    throw unauthorized('token_missing', 'This endpoint needs a token: send Authorization: Bearer <token>.');
  }
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    throw unauthorized('token_invalid', 'The token is malformed.', 'invalid_token');
  }
  return token;
}
