/**
 * Signature Version 4 verification, written from the AWS General Reference ("Create a signed AWS API request"),
 * independently of the SDK's signer so that it can catch the SDK signing with the wrong key:
 *
 * 1. canonical request: method, canonical URI (each path segment URI-encoded again, as every service but S3
 *    expects), canonical query (sorted, encoded), the signed headers' values (trimmed, inner spaces collapsed),
 *    the signed header names, and the payload's SHA-256 (`x-amz-content-sha256` when sent);
 * 2. string to sign: `AWS4-HMAC-SHA256`, `x-amz-date`, the credential scope and the canonical request's hash;
 * 3. signing key: HMAC-SHA256 of date, region, service and `aws4_request`, keyed by `AWS4` + the secret.
 *
 * Over HTTP/2 there is no `host` header: the SDK signs the `:authority` pseudo-header by that name (a `host` signed by
 * another client is read from `:authority`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.:-]+),\s*Signature=([0-9a-f]{64})$/;

/** The parts of an `Authorization` header, or undefined when it is not a SigV4 header. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const m = header === undefined ? null : AUTHORIZATION.exec(header.trim());
  if (!m) return undefined;
  return {
    accessKeyId: m[1] ?? '',
    date: m[2] ?? '',
    region: m[3] ?? '',
    service: m[4] ?? '',
    signedHeaders: (m[5] ?? '').split(';'),
    signature: m[6] ?? '',
  };
}

export interface SignedRequest {
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEscape(normalised).replace(/%2F/g, '/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    return [uriEscape(key), uriEscape(value)] as const;
  });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = name === 'host' ? (headers.host ?? headers[':authority']) : headers[name];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw.join(',') : String(raw)).trim().replace(/\s+/g, ' ');
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The canonical request of `request` as signed with `auth`, or undefined when a signed header is missing. */
export function canonicalRequest(request: SignedRequest, auth: ParsedAuthorization): string | undefined {
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const query = q < 0 ? '' : request.url.slice(q + 1);
  const lines: string[] = [];
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return undefined;
    lines.push(`${name}:${value}\n`);
  }
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? sha256Hex(request.body);
  return [request.method, canonicalUri(path), canonicalQuery(query), lines.join(''), auth.signedHeaders.join(';'), payloadHash].join('\n');
}

/** The signature `secretAccessKey` gives `request` (hex), or undefined when the request lacks what was signed. */
export function expectedSignature(request: SignedRequest, auth: ParsedAuthorization, secretAccessKey: string): string | undefined {
  const amzDate = headerValue(request.headers, 'x-amz-date');
  const canonical = canonicalRequest(request, auth);
  if (amzDate === undefined || canonical === undefined || !amzDate.startsWith(auth.date)) return undefined;
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, auth.date), auth.region), auth.service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Whether `auth.signature` is what `secretAccessKey` gives `request` (compared in constant time). */
export function signatureMatches(request: SignedRequest, auth: ParsedAuthorization, secretAccessKey: string): boolean {
  const expected = expectedSignature(request, auth, secretAccessKey);
  if (expected === undefined) return false;
  const signedHeaders = new Set(auth.signedHeaders);
  // The authority must be signed: `host` over HTTP/1.1, the `:authority` pseudo-header over HTTP/2 (what the SDK signs).
  if (!(signedHeaders.has('host') || signedHeaders.has(':authority')) || !signedHeaders.has('x-amz-date')) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'));
}
