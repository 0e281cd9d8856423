/**
 * Verifies bearer tokens by jose's rules, with `node:crypto`: the header and an allow-list of asymmetric algorithms
 * (jws.ts), the signature against the issuer's JWKS (local-key-set.ts), then `iss`, audience, `exp`/`nbf` with a
 * clock tolerance and required claims, `sub` and `exp` always (jwt-claims.ts). jose's `jwtVerify` is the oracle:
 * test/lambdas/chat/auth/jwt-verifier.test.ts gives both the same tokens and expects the same outcome. Every
 * failure becomes a 401 with a stable code (bearer-token.ts), except an issuer whose keys cannot be fetched or
 * used: that is our dependency failing, 503 `auth_unavailable`.
 *
 * | failure                                                   | code                  |
 * |-----------------------------------------------------------|-----------------------|
 * | malformed token or claims set, bad signature, `alg` not allowed (`none`, `HS256`, …), unusable `sub` | `token_invalid` |
 * | `exp` in the past (beyond the tolerance), or `iat` older than the maximum token age | `token_expired` |
 * | `nbf` in the future (beyond the tolerance)                | `token_not_yet_valid` |
 * | `iss` differs                                             | `token_wrong_issuer`  |
 * | `aud` lacks the audience (Cognito: id token `aud`, access token `client_id`) | `token_wrong_audience` |
 * | Cognito `token_use` not the accepted one                  | `token_wrong_type`    |
 * | no key in the JWKS has the token's `kid` (after one refetch), or several match | `token_unknown_key` |
 * | a required claim is absent (`iat` is, with a maximum token age) | `token_missing_claim` |
 * | JWKS unreachable, slow, not 200, not a key set, or the selected key unusable (private, malformed, RSA under 2048 bits) | 503 `auth_unavailable`|
 *
 * The JWKS is fetched on first use, not at init, and cached (remote-key-set.ts); a token signed with an unknown
 * `kid` makes it refetch once, at most every `JWKS_COOLDOWN_MS`, so a rotated key verifies without a cold start and a flood of
 * made-up `kid`s cannot hammer the issuer.
 */

import type { KeyObject } from 'node:crypto';
import { LIMITS } from '../../../contract/limits';
import { ChatError } from '../http/errors';
import { unauthorized } from './bearer-token';
import { type CompactJws, jsonObject, readCompactJws, tokenError, verifiedPayload } from './jws';
import { type ClaimRules, checkClaims, hasAudience, type JwtClaims } from './jwt-claims';
import type { CognitoTokenUse, JwtAuthConfig } from './jwt-config';
import { LocalKeySet, type NoKey } from './local-key-set';
import { type FetchedKeySet, KeySetUnavailableError, keySetUnavailable, type RemoteKeySet } from './remote-key-set';

export interface VerifiedToken {
  /** `sub`: the user, owner of the chats and rate-limit key. */
  readonly subject: string;
  readonly claims: JwtClaims;
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * The key that verifies a token (read, not yet trusted: jws.ts): a 401 `token_unknown_key` when the issuer has
 * none or several for it, {@link KeySetUnavailableError} (503) when the issuer's set cannot be fetched or used.
 */
export type KeyLookup = (jws: CompactJws) => Promise<KeyObject>;

/**
 * The lookup over the issuer's set (remote-key-set.ts): the key for the token's `kid` and `alg` from the cached set;
 * an unknown `kid` makes the set refetch once (outside the cooldown) and is looked up again. A set that cannot
 * be fetched or used, or whose selected key cannot be, is {@link KeySetUnavailableError}.
 */
export function keySetGetKey(remote: RemoteKeySet): KeyLookup {
  const sets = new WeakMap<FetchedKeySet, LocalKeySet>();
  const selectIn = (fetched: FetchedKeySet, jws: CompactJws): ReturnType<LocalKeySet['select']> => {
    let set = sets.get(fetched);
    if (!set) {
      set = new LocalKeySet(fetched.jwks);
      sets.set(fetched, set);
    }
    return set.select(jws.alg, jws.algorithm, jws.header.kid);
  };
  return async (jws) => {
    let key: ReturnType<LocalKeySet['select']>;
    try {
      const fetched = await remote.current();
      key = selectIn(fetched, jws);
      if (key === 'no_matching_key') {
        const newer = await remote.refetch(fetched);
        if (newer) key = selectIn(newer, jws);
      }
    } catch (error) {
      throw keySetUnavailable(remote.uri, error);
    }
    if (typeof key === 'string') throw unknownKey(key);
    return key;
  };
}

function unknownKey(why: NoKey): ChatError {
  return unauthorized('token_unknown_key', "The token's signing key is not one of the issuer's keys.", 'invalid_token', tokenError(why));
}

export function createTokenVerifier(config: JwtAuthConfig, keys: KeyLookup): TokenVerifier {
  const algorithms = new Set(config.algorithms);
  const rules: ClaimRules = {
    issuer: config.issuer,
    // Cognito access tokens carry no `aud`: the audience is checked after the claims instead.
    ...(config.cognitoTokenUse === undefined ? { audience: config.audience } : {}),
    requiredClaims: [...new Set(['sub', 'exp', ...config.requiredClaims])],
    clockTolerance: config.clockSkewSeconds,
    // Then `iat` is required, and a token issued longer ago (clock tolerance included) is refused as expired.
    ...(config.maxTokenAgeSeconds !== undefined ? { maxTokenAge: config.maxTokenAgeSeconds } : {}),
  };

  return async function verifyToken(token) {
    const jws = readCompactJws(token, algorithms);
    let key: KeyObject;
    try {
      key = await keys(jws);
    } catch (error) {
      if (error instanceof KeySetUnavailableError) {
        throw new ChatError(503, 'auth_unavailable', 'The service cannot verify tokens right now. Try again shortly.', {}, error);
      }
      throw error;
    }
    const claims = jsonObject(verifiedPayload(jws, key), 'JWT Claims Set must be a top-level JSON object');
    checkClaims(claims, rules, Math.floor(Date.now() / 1000));
    if (config.cognitoTokenUse !== undefined) checkCognitoToken(claims, config.cognitoTokenUse, config.audience);
    const subject = claims.sub;
    if (typeof subject !== 'string' || subject === '' || subject.length > LIMITS.maxSubjectLength) {
      throw unauthorized('token_invalid', `The token's subject must be a string of 1-${LIMITS.maxSubjectLength} characters.`, 'invalid_token');
    }
    return { subject, claims };
  };
}

/** Cognito: `token_use` is `id` (audience in `aud`) or `access` (audience in `client_id`, no `aud`). */
function checkCognitoToken(payload: JwtClaims, accepted: CognitoTokenUse, audience: string): void {
  const tokenUse = payload.token_use;
  if (tokenUse === undefined) throw unauthorized('token_missing_claim', "The token lacks the required claim 'token_use'.", 'invalid_token');
  if ((tokenUse !== 'id' && tokenUse !== 'access') || (accepted !== 'any' && tokenUse !== accepted)) {
    const wanted = accepted === 'any' ? 'an ID or access token' : `an ${accepted === 'id' ? 'ID' : 'access'} token`;
    throw unauthorized('token_wrong_type', `This endpoint accepts ${wanted} of the user pool.`, 'invalid_token');
  }
  const matches = tokenUse === 'id' ? hasAudience(payload.aud, audience) : payload.client_id === audience;
  if (!matches) throw unauthorized('token_wrong_audience', 'The token was not issued for this application.', 'invalid_token');
}
