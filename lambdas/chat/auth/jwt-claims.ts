/**
 * The claims of a token whose signature checked out (jwt-verifier.ts), validated as jose's `jwtVerify` validates
 * them for the options the function uses: required claims first (in jose's order, so the first one missing is
 * the one named), then `iss`, `aud`, the types of `iat` and `nbf`, `nbf`, `exp` and the token's age, each with the
 * clock tolerance. A failure is a 401 with the code and words the verifier's table gives (jwt-verifier.ts).
 */
import type { ChatError } from '../http/errors';
import { unauthorized } from './bearer-token';
import { tokenError } from './jws';

/** A token's claims set: a JSON object. */
export type JwtClaims = Readonly<Record<string, unknown>>;

export interface ClaimRules {
  /** Exact `iss`. */
  readonly issuer: string;
  /** `aud` must be it or contain it; absent: not checked here (Cognito tokens, checked by the verifier). */
  readonly audience?: string;
  /** Claims that must be present (`sub` and `exp` among them). */
  readonly requiredClaims: readonly string[];
  /** Seconds of tolerance on `exp`, `nbf` and the token's age. */
  readonly clockTolerance: number;
  /** Tokens issued (`iat`) longer ago are refused, and tokens without `iat`. */
  readonly maxTokenAge?: number;
}

/** Throws the 401 for the first rule `claims` break at `now` (seconds since the epoch). */
export function checkClaims(claims: JwtClaims, rules: ClaimRules, now: number): void {
  const { issuer, audience, maxTokenAge, clockTolerance: tolerance } = rules;
  const presence = [...rules.requiredClaims];
  if (maxTokenAge !== undefined) presence.push('iat');
  if (audience !== undefined) presence.push('aud');
  presence.push('iss');
  for (const claim of new Set(presence.reverse())) {
    if (!Object.hasOwn(claims, claim)) throw refused('token_missing_claim', `The token lacks the required claim '${claim}'.`, claim);
  }
  if (claims.iss !== issuer) throw refused('token_wrong_issuer', 'The token was issued by another issuer.', 'iss');
  if (audience !== undefined && !hasAudience(claims.aud, audience)) {
    throw refused('token_wrong_audience', 'The token was not issued for this application.', 'aud');
  }
  const iat = numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance) throw refused('token_not_yet_valid', 'The token is not valid yet.', 'nbf');
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= now - tolerance) throw refused('token_expired', 'The token has expired.', 'exp');
  if (maxTokenAge !== undefined) {
    const age = now - (iat as number);
    if (age - tolerance > maxTokenAge) throw refused('token_expired', 'The token was issued too long ago for this service. Sign in again.', 'iat');
    if (age < -tolerance) throw invalidClaim('iat');
  }
}

/** `aud`: the audience itself, or an array holding it. */
export function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** A NumericDate claim: absent, or a number (anything else refuses the token). */
function numericDate(claims: JwtClaims, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidClaim(claim);
  return value;
}

function invalidClaim(claim: string): ChatError {
  return refused('token_invalid', `The token's '${claim}' claim is invalid.`, claim);
}

function refused(code: Parameters<typeof unauthorized>[0], message: string, claim: string): ChatError {
  return unauthorized(code, message, 'invalid_token', tokenError('JWTClaimValidationFailed', `"${claim}" claim check failed`));
}
