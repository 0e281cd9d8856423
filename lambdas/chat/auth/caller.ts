/**
 * Who is calling, for rate limiting: the IAM identity the Function URL verified, else the source IP
 * (IAM mode), or the subject of the verified bearer token (JWT modes, {@link jwtCaller}).
 *
 * Preference: for an unauthenticated Cognito identity (a guest), the source IP: anyone can mint new guest
 * identities with unauthenticated `GetId` calls, so a per-identity limit would not hold, and seed 003 keys
 * guests by IP for that reason. For a signed-in Cognito identity, its identity id (stable across credential
 * refreshes); then the IAM principal (`userArn`, then `callerId`); then `requestContext.http.sourceIp`. The key is hashed
 * (SHA-256 of `kind:id`) so the rate-limit table never stores IPs or ARNs in clear; the kind prefix keeps
 * an IP and an ARN from ever sharing a bucket. The hash is pseudonymisation, not anonymisation: an IPv4
 * address can be recovered from its hash by trying all 2^32 of them.
 */
import { createHash } from 'node:crypto';
import type { FunctionUrlEvent } from '../http/event';

export type CallerKind = 'guest' | 'cognito' | 'iam' | 'ip' | 'jwt';

export interface Caller {
  readonly kind: CallerKind;
  /** Hex SHA-256 of `${kind}:${id}`; safe to store and to log. */
  readonly keyHash: string;
}

export function identifyCaller(event: FunctionUrlEvent): Caller {
  const iam = event.requestContext?.authorizer?.iam;
  const sourceIp = nonEmpty(event.requestContext?.http?.sourceIp) ?? 'unknown';
  if (iam?.cognitoIdentity?.amr?.includes('unauthenticated')) return caller('guest', sourceIp);
  const cognitoId = nonEmpty(iam?.cognitoIdentity?.identityId);
  if (cognitoId) return caller('cognito', cognitoId);
  const principal = nonEmpty(iam?.userArn) ?? nonEmpty(iam?.callerId);
  if (principal) return caller('iam', principal);
  return caller('ip', sourceIp);
}

/** A caller of the JWT modes: the verified token's subject (`sub`), the same user across tokens and devices. */
export function jwtCaller(subject: string): Caller {
  return caller('jwt', subject);
}

function caller(kind: CallerKind, id: string): Caller {
  return { kind, keyHash: createHash('sha256').update(`${kind}:${id}`).digest('hex') };
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
