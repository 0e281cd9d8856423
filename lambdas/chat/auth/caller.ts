/**
 * Who is calling, as an authenticator establishes it: the kind of identity, a hash of it (the rate-limit
 * key), and, for methods that identify a user, the user's subject.
 *
 * The key is hashed (SHA-256 of `kind:id`) so the rate-limit table never stores IPs, ARNs or subjects in
 * clear; the kind prefix keeps an IP and an ARN from ever sharing a count. The hash is pseudonymisation,
 * not anonymisation: an IPv4 address can be recovered from its hash by trying all 2^32 of them.
 */
import { createHash } from 'node:crypto';

/** `address` is the source address counted before authentication (a public URL), whoever the caller turns out to be. */
/**
 * `access_key` is (the SHA-256 of) the AWS access key id a request's own credentials carry (`BEDROCK_ACCESS=caller-credentials`): what
 * its usage budget is counted by.
 */
export type CallerKind = 'guest' | 'cognito' | 'iam' | 'ip' | 'jwt' | 'address' | 'api_key' | 'access_key';

/** Limits a caller brings (an API key's own), overriding the function's. */
export interface CallerLimits {
  readonly requestsPerMinute?: number;
  readonly tokensPerDay?: number;
  readonly costPerDayUsd?: number;
}

export interface Caller {
  readonly kind: CallerKind;
  /** Hex SHA-256 of `${kind}:${id}`; safe to store and to log. */
  readonly keyHash: string;
  /** The verified user (a token's `sub`), for methods that identify one; never logged. */
  readonly subject?: string;
  /** The caller's own limits, when it has any. */
  readonly limits?: CallerLimits;
}

export function caller(kind: CallerKind, id: string, subject?: string): Caller {
  const keyHash = createHash('sha256').update(`${kind}:${id}`).digest('hex');
  return subject === undefined ? { kind, keyHash } : { kind, keyHash, subject };
}

/** A caller of a bearer-token method: the verified token's subject (`sub`), the same user across tokens and devices. */
export function jwtCaller(subject: string): Caller {
  return caller('jwt', subject, subject);
}
