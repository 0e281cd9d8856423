/**
 * AWS Signature Version 4 for the function's own AWS calls (aws/*-client.ts), on node:crypto: the canonical
 * request (each path segment URI-encoded again, as every service but S3 expects; no query; every header sent,
 * lower-case and sorted; the payload's SHA-256), the string to sign and the signing key (cached per day, region,
 * service and secret, as the SDK's signer caches it). The authority is signed as the `host` header (HTTP/1.1).
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface RequestToSign {
  readonly method: string;
  /** The path as sent: each segment already URI-encoded once. */
  readonly path: string;
  /** Lower-case names; the authority as `host`. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly region: string;
  readonly service: string;
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

let cachedKey: { scope: string; secret: string; key: Buffer } | undefined;

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const scope = `${date}/${region}/${service}`;
  if (cachedKey?.scope !== scope || cachedKey.secret !== secret) {
    cachedKey = { scope, secret, key: hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request') };
  }
  return cachedKey.key;
}

/** The headers to send: `request.headers` plus `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization`. */
export function signRequest(request: RequestToSign, credentials: AwsCredentialIdentity, now = new Date()): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [
    request.method,
    uriEscape(request.path).replace(/%2F/g, '/'),
    '',
    names.map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`).join(''),
    names.join(';'),
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${date}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, date, request.region, request.service))
    .update(stringToSign, 'utf8')
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
