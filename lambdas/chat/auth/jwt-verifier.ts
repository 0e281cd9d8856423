/**
 * Verifies bearer tokens with `jose`: signature against the issuer's JWKS, an allow-list of asymmetric
 * algorithms, `iss`, audience, `exp`/`nbf` with a clock tolerance, and required claims (`sub` and `exp`
 * always). Every failure becomes a 401 with a stable code (bearer-token.ts), except an issuer whose keys
 * cannot be fetched: that is our dependency failing, 503 `auth_unavailable`.
 *
 * | failure                                                   | code                  |
 * |-----------------------------------------------------------|-----------------------|
 * | malformed token or claims set, bad signature, `alg` not allowed (`none`, `HS256`, …), unusable `sub` | `token_invalid` |
 * | `exp` in the past (beyond the tolerance), or `iat` older than the maximum token age | `token_expired` |
 * | `nbf` in the future (beyond the tolerance)                | `token_not_yet_valid` |
 * | `iss` differs                                             | `token_wrong_issuer`  |
 * | `aud` lacks the audience (Cognito: id token `aud`, access token `client_id`) | `token_wrong_audience` |
 * | Cognito `token_use` not the accepted one                  | `token_wrong_type`    |
 * | no key in the JWKS has the token's `kid` (after one refetch) | `token_unknown_key` |
 * | a required claim is absent (`iat` is, with a maximum token age) | `token_missing_claim` |
 * | JWKS unreachable, slow, not 200, not a key set            | 503 `auth_unavailable`|
 *
 * The JWKS is fetched on first use, not at init, and cached (remote-key-set.ts); a token signed with an unknown
 * `kid` makes it refetch once, at most every `JWKS_COOLDOWN_MS`, so a rotated key verifies without a cold start and a flood of
 * made-up `kid`s cannot hammer the issuer.
 */

import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from 'jose';
import { LIMITS } from '../../../contract/limits';
import { isError } from '../core/log';
import { ChatError, internalError } from '../http/errors';
import { unauthorized } from './bearer-token';
import type { CognitoTokenUse, JwtAuthConfig } from './jwt-config';
import { type FetchedKeySet, KeySetUnavailableError, keySetUnavailable, type RemoteKeySet } from './remote-key-set';

export interface VerifiedToken {
  /** `sub`: the user, owner of the chats and rate-limit key. */
  readonly subject: string;
  readonly claims: JWTPayload;
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * jose's key lookup over the issuer's set (remote-key-set.ts): the key for the token's `kid` and `alg` from the
 * cached set; an unknown `kid` makes the set refetch once (outside the cooldown) and is looked up again. A set
 * that cannot be fetched or used is {@link KeySetUnavailableError}; an unknown `kid` stays jose's
 * `JWKSNoMatchingKey` (the token's problem, not the issuer's).
 */
export function keySetGetKey(remote: RemoteKeySet): JWTVerifyGetKey {
  const lookups = new WeakMap<FetchedKeySet, JWTVerifyGetKey>();
  const lookupIn = (set: FetchedKeySet): JWTVerifyGetKey => {
    let lookup = lookups.get(set);
    if (!lookup) {
      lookup = createLocalJWKSet(set.jwks as JSONWebKeySet);
      lookups.set(set, lookup);
    }
    return lookup;
  };
  return async (protectedHeader, token) => {
    try {
      const set = await remote.current();
      try {
        return await lookupIn(set)(protectedHeader, token);
      } catch (error) {
        if (joseCode(error) !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        const newer = await remote.refetch(set);
        if (!newer) throw error;
        return await lookupIn(newer)(protectedHeader, token);
      }
    } catch (error) {
      const code = joseCode(error);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      throw keySetUnavailable(remote.uri, error);
    }
  };
}

export function createTokenVerifier(config: JwtAuthConfig, keys: JWTVerifyGetKey): TokenVerifier {
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    // Cognito access tokens carry no `aud`: the audience is checked after verification instead.
    ...(config.cognitoTokenUse === undefined ? { audience: config.audience } : {}),
    algorithms: [...config.algorithms],
    clockTolerance: config.clockSkewSeconds,
    requiredClaims: [...new Set(['sub', 'exp', ...config.requiredClaims])],
    // jose then requires `iat` and refuses a token issued longer ago (clock tolerance included) as expired.
    ...(config.maxTokenAgeSeconds !== undefined ? { maxTokenAge: config.maxTokenAgeSeconds } : {}),
  };

  return async function verifyToken(token) {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, options));
    } catch (error) {
      throw verificationError(error);
    }
    if (config.cognitoTokenUse !== undefined) checkCognitoToken(payload, config.cognitoTokenUse, config.audience);
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject === '' || subject.length > LIMITS.maxSubjectLength) {
      throw unauthorized('token_invalid', `The token's subject must be a string of 1-${LIMITS.maxSubjectLength} characters.`, 'invalid_token');
    }
    return { subject, claims: payload };
  };
}

/** Cognito: `token_use` is `id` (audience in `aud`) or `access` (audience in `client_id`, no `aud`). */
function checkCognitoToken(payload: JWTPayload, accepted: CognitoTokenUse, audience: string): void {
  const tokenUse = payload.token_use;
  if (tokenUse === undefined) throw unauthorized('token_missing_claim', "The token lacks the required claim 'token_use'.", 'invalid_token');
  if ((tokenUse !== 'id' && tokenUse !== 'access') || (accepted !== 'any' && tokenUse !== accepted)) {
    const wanted = accepted === 'any' ? 'an ID or access token' : `an ${accepted === 'id' ? 'ID' : 'access'} token`;
    throw unauthorized('token_wrong_type', `This endpoint accepts ${wanted} of the user pool.`, 'invalid_token');
  }
  const matches =
    tokenUse === 'id' ? payload.aud === audience || (Array.isArray(payload.aud) && payload.aud.includes(audience)) : payload.client_id === audience;
  if (!matches) throw unauthorized('token_wrong_audience', 'The token was not issued for this application.', 'invalid_token');
}

function verificationError(error: unknown): ChatError {
  if (error instanceof KeySetUnavailableError) {
    return new ChatError(503, 'auth_unavailable', 'The service cannot verify tokens right now. Try again shortly.', {}, error);
  }
  const invalid = (code: Parameters<typeof unauthorized>[0], message: string): ChatError => unauthorized(code, message, 'invalid_token', error);
  const { claim, reason } = (isError(error) ? error : {}) as { claim?: unknown; reason?: unknown };
  switch (joseCode(error)) {
    case 'ERR_JWT_EXPIRED':
      if (claim === 'iat') return invalid('token_expired', 'The token was issued too long ago for this service. Sign in again.');
      return invalid('token_expired', 'The token has expired.');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return invalid('token_missing_claim', `The token lacks the required claim '${String(claim)}'.`);
      if (claim === 'nbf') return invalid('token_not_yet_valid', 'The token is not valid yet.');
      if (claim === 'iss') return invalid('token_wrong_issuer', 'The token was issued by another issuer.');
      if (claim === 'aud') return invalid('token_wrong_audience', 'The token was not issued for this application.');
      return invalid('token_invalid', `The token's '${String(claim)}' claim is invalid.`);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid('token_unknown_key', "The token's signing key is not one of the issuer's keys.");
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid('token_invalid', "The token's signing algorithm is not accepted.");
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalid('token_invalid', "The token's signature is invalid.");
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return invalid('token_invalid', 'The token is malformed.');
  }
  return internalError(error);
}

function joseCode(error: unknown): string | undefined {
  const code = isError(error) ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
