/**
 * CORS the way a Function URL applies its `Cors` configuration, for the local server.
 *
 * What the Lambda Developer Guide states ("Creating and managing Lambda function URLs", CORS): the URL answers
 * with `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`, `-Expose-Headers`, `-Allow-Credentials`
 * and `-Max-Age` from its configuration, adds them to every response, and where the function sets the same
 * headers the configured ones take precedence.
 *
 * What the guide does not state, and this stand-in assumes (check it against a deployed URL before relying on
 * it): a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered by the URL itself,
 * 200 with an empty body, without invoking the function or checking a signature; an origin that is not
 * allowed gets the same 200 without any `Access-Control-*` header, so the browser blocks the call; a URL
 * without CORS configuration passes `OPTIONS` to the function like any other method.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The `Cors` of a Function URL, as `AWS::Lambda::Url` takes it. */
export interface FunctionUrlCors {
  /** Exact origins (`https://chat.example.com`), or `*`. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** A preflight: what a browser sends before a call that is not "simple" (JSON body, `authorization`, `DELETE`). */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';
}

/** The `Access-Control-Allow-Origin` value for `origin`, or undefined when the configuration does not allow it. */
export function allowedOrigin(cors: FunctionUrlCors, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  if (cors.allowOrigins.includes(origin)) return origin;
  return cors.allowOrigins.includes('*') ? '*' : undefined;
}

/** The headers of the answer to a preflight from `origin` (none when it is not allowed). */
export function preflightHeaders(cors: FunctionUrlCors, origin: string | undefined): Record<string, string> {
  const allowOrigin = allowedOrigin(cors, origin);
  if (allowOrigin === undefined) return {};
  return {
    'access-control-allow-origin': allowOrigin,
    'access-control-allow-methods': cors.allowMethods.join(', '),
    'access-control-allow-headers': cors.allowHeaders.join(', '),
    'access-control-max-age': String(cors.maxAgeSeconds),
  };
}

/** The function's response headers with the configured CORS headers for `origin` laid over them. */
export function withCorsHeaders(cors: FunctionUrlCors, origin: string | undefined, headers: Record<string, string>): Record<string, string> {
  const allowOrigin = allowedOrigin(cors, origin);
  if (allowOrigin === undefined) return headers;
  const configured: Record<string, string> = {
    'access-control-allow-origin': allowOrigin,
    ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(', ') } : {}),
  };
  const kept = Object.entries(headers).filter(([name]) => !(name.toLowerCase() in configured));
  return { ...Object.fromEntries(kept), ...configured };
}
