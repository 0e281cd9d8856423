/**
 * A token's JWS Compact Serialization (RFC 7515 §7.1), read and its signature checked with `node:crypto`: the
 * asymmetric algorithms of RFC 7518 §3 and EdDSA (Ed25519, RFC 8037). The rules are jose's (`jwtVerify`), and
 * test/lambdas/chat/auth/jwt-verifier.test.ts holds every outcome to jose's over the same tokens; only the
 * cryptography differs: jose verifies through WebCrypto, whose first use in a process loads its modules, imports the
 * key and hops to the thread pool (10–11 ms for jose's first RS256 check in a fresh Node 24 process, against under
 * 1 ms: README, Performance), where `crypto.verify` over a `KeyObject` is one synchronous call.
 *
 * - three base64url segments (the alphabet without padding, as jose decodes them), a protected header that is a
 *   JSON object in strict UTF-8;
 * - `crit` must be a non-empty array of non-empty strings naming only `b64`, present in the header; `b64` must then
 *   be a boolean, and a JWT must not set it to false (an unencoded payload);
 * - `alg` must be one of the function's algorithms (`JWT_ALGORITHMS`: asymmetric only, never `none` or HMAC);
 * - the signature is checked with the key the token's header selects (local-key-set.ts), then the payload decoded.
 *
 * Every failure here is the token's problem: 401 `token_invalid`, jose's reason in the log.
 */
import type { KeyObject } from 'node:crypto';
import type { ChatError } from '../http/errors';
import { unauthorized } from './bearer-token';

const { constants, verify } = process.getBuiltinModule('node:crypto');

/** How each accepted `alg` is checked: the key type and curve it needs, the digest, and the signature form. */
export interface JwsAlgorithm {
  /** The JWK `kty` a key for it has. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** The JWK `crv` a key for it has (EC and OKP). */
  readonly crv?: string;
  /** The digest `crypto.verify` hashes with (none for EdDSA, which hashes itself). */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS with a salt as long as the digest, in bytes (RFC 7518 §3.5); absent: PKCS #1 v1.5. */
  readonly pssSaltLength?: number;
}

/** The algorithms `JWT_ALGORITHMS` may name (contract/patterns.ts ASYMMETRIC_ALGORITHMS). */
export const JWS_ALGORITHMS: Readonly<Record<string, JwsAlgorithm>> = {
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', pssSaltLength: 32 },
  PS384: { kty: 'RSA', digest: 'sha384', pssSaltLength: 48 },
  PS512: { kty: 'RSA', digest: 'sha512', pssSaltLength: 64 },
  ES256: { kty: 'EC', crv: 'P-256', digest: 'sha256' },
  ES384: { kty: 'EC', crv: 'P-384', digest: 'sha384' },
  ES512: { kty: 'EC', crv: 'P-521', digest: 'sha512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', digest: null },
};

/** The smallest RSA modulus a key may have (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

/** A JOSE header: the protected header's members. */
export type JoseHeader = Readonly<Record<string, unknown>>;

/** A token read but not yet trusted: its header, its algorithm and its encoded payload and signature. */
export interface CompactJws {
  readonly header: JoseHeader;
  readonly alg: string;
  readonly algorithm: JwsAlgorithm;
  /** `b64`: false when `crit` names it and the header sets it false (no JWT may). */
  readonly b64: boolean;
  readonly encoded: { readonly header: string; readonly payload: string; readonly signature: string };
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The token's header, checked as far as it can be without the key (in jose's order: what fails here fails before
 * any key is looked up); `algorithms` are the accepted `alg` values.
 */
export function readCompactJws(token: string, algorithms: ReadonlySet<string>): CompactJws {
  const segments = token.split('.');
  if (segments.length !== 3) throw malformed('Invalid Compact JWS');
  const [header, payload, signature] = segments as [string, string, string];
  const parsed = jsonObject(decodeSegment(header, 'protected header'), 'JWS Protected Header is invalid');
  const b64 = checkCrit(parsed);
  const { alg } = parsed;
  if (typeof alg !== 'string' || alg === '') throw malformed('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  const algorithm = Object.hasOwn(JWS_ALGORITHMS, alg) ? JWS_ALGORITHMS[alg] : undefined;
  if (!algorithms.has(alg) || algorithm === undefined) {
    throw unauthorized('token_invalid', "The token's signing algorithm is not accepted.", 'invalid_token', tokenError('JOSEAlgNotAllowed', alg));
  }
  return { header: parsed, alg, algorithm, b64, encoded: { header, payload, signature } };
}

/**
 * The token's payload once `key` proves it was signed with it: 401 `token_invalid` when the signature does not
 * match (a signature of the wrong form for the key matches nothing), or the token is no JWT (`b64` false).
 */
export function verifiedPayload(jws: CompactJws, key: KeyObject): Buffer {
  const { algorithm, encoded } = jws;
  const signature = decodeSegment(encoded.signature, 'signature');
  const payload = decodeSegment(encoded.payload, 'payload');
  const signingInput = Buffer.from(`${encoded.header}.${encoded.payload}`, 'latin1');
  let valid = false;
  try {
    if (algorithm.pssSaltLength !== undefined) {
      const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength };
      valid = verify(algorithm.digest, signingInput, options, signature);
    } else if (algorithm.kty === 'EC') {
      valid = verify(algorithm.digest, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    } else {
      valid = verify(algorithm.digest, signingInput, key, signature);
    }
  } catch {
    valid = false;
  }
  if (!valid) throw unauthorized('token_invalid', "The token's signature is invalid.", 'invalid_token', tokenError('JWSSignatureVerificationFailed'));
  if (!jws.b64) throw malformed('JWTs MUST NOT use unencoded payload');
  return payload;
}

/** A JSON object (not an array, nor null) from strict UTF-8 bytes, or `token_invalid` with `reason`. */
export function jsonObject(bytes: Buffer, reason: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw malformed(reason);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(reason);
  return value as Record<string, unknown>;
}

/** A token that is not a well-formed JWS or JWT: 401 `token_invalid`; `reason` (jose's words) goes to the log only. */
export function malformed(reason: string): ChatError {
  return unauthorized('token_invalid', 'The token is malformed.', 'invalid_token', tokenError('JWSInvalid', reason));
}

/** The cause a refusal logs: jose's error name and words, never a part of the token. */
export function tokenError(name: string, message = ''): Error {
  return Object.assign(new Error(message), { name });
}

function decodeSegment(segment: string, what: string): Buffer {
  // base64url without padding, as jose decodes it: a length of 4n+1 cannot be one.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) throw malformed(`Failed to base64url decode the ${what}`);
  return Buffer.from(segment, 'base64url');
}

/** `crit` (RFC 7515 §4.1.11) as jose reads it: only `b64` is understood. Returns `b64` (true unless crit names it false). */
function checkCrit(header: JoseHeader): boolean {
  const { crit } = header;
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '')) {
    throw malformed('"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present');
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') throw malformed(`Extension Header Parameter "${name}" is not recognized`);
    if (!Object.hasOwn(header, name) || header[name] === undefined) throw malformed(`Extension Header Parameter "${name}" is missing`);
  }
  if (typeof header.b64 !== 'boolean') throw malformed('The "b64" (base64url-encode payload) Header Parameter must be a boolean');
  return header.b64;
}
