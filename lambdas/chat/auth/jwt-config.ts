/**
 * The token rules of bearer-token authentication (`CHAT_AUTH_MODE=jwt`), read once at init: `JWT_ISSUER`,
 * `JWT_AUDIENCE`, `JWT_JWKS_URI`, `JWT_ALGORITHMS`, `JWT_REQUIRED_CLAIMS`, `JWT_CLOCK_SKEW_SECONDS`, optionally
 * `JWT_MAX_TOKEN_AGE_SECONDS` and, for Cognito user pools, `JWT_COGNITO_TOKEN_USE`.
 */
import { COGNITO_TOKEN_USES, type CognitoTokenUseValue, ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { ASYMMETRIC_ALGORITHMS, CLAIM_NAME } from '../../../contract/patterns';
import { commaList, type Env, integerIn, problemTracker, type ReportProblem } from '../core/config';

/** What a bearer token must satisfy. */
export interface JwtAuthConfig {
  /** Exact `iss`. */
  readonly issuer: string;
  /** `aud` must contain it (or, for Cognito access tokens, `client_id` must equal it). */
  readonly audience: string;
  readonly jwksUri: URL;
  /** Accepted `alg` values; asymmetric only. */
  readonly algorithms: readonly string[];
  /** Claims every token must carry besides `sub` and `exp` (always required). */
  readonly requiredClaims: readonly string[];
  /** Tolerance on `exp` and `nbf`. */
  readonly clockSkewSeconds: number;
  /** Set for Cognito user pools: which `token_use` is accepted. */
  readonly cognitoTokenUse?: CognitoTokenUse;
  /** When set, tokens issued longer ago (`iat`) are refused, and tokens without `iat`. */
  readonly maxTokenAgeSeconds?: number;
}

export type CognitoTokenUse = CognitoTokenUseValue;

const MAX_AUDIENCE_LENGTH = 512;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The token rules; undefined when one is bad (and reported). */
export function readJwtAuthConfig(env: Env, report: ReportProblem): JwtAuthConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const issuer = env[ENV.jwtIssuer];
  if (!isSecureUrl(issuer)) bad(ENV.jwtIssuer, 'the issuer URL (https; http only on 127.0.0.1 or localhost)');
  const audience = env[ENV.jwtAudience];
  if (audience === undefined || audience.trim() === '' || audience.length > MAX_AUDIENCE_LENGTH) {
    bad(ENV.jwtAudience, `the audience or app client id (1-${MAX_AUDIENCE_LENGTH} characters)`);
  }
  const jwksUri = env[ENV.jwtJwksUri];
  if (!isSecureUrl(jwksUri)) bad(ENV.jwtJwksUri, 'the JWKS URL (https; http only on 127.0.0.1 or localhost)');

  const algorithms = commaList(env[ENV.jwtAlgorithms]);
  const notAsymmetric = algorithms.filter((alg) => !ASYMMETRIC_ALGORITHMS.includes(alg));
  if (algorithms.length === 0 || notAsymmetric.length > 0) {
    bad(ENV.jwtAlgorithms, `a comma-separated list of asymmetric algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); never none or HMAC`);
  }
  const requiredClaims = commaList(env[ENV.jwtRequiredClaims]);
  if (env[ENV.jwtRequiredClaims] === undefined || requiredClaims.some((claim) => !CLAIM_NAME.test(claim))) {
    bad(ENV.jwtRequiredClaims, 'a comma-separated list of claim names (may be empty)');
  }
  const clockSkewSeconds = integerIn(ENV.jwtClockSkewSeconds, env, 0, LIMITS.maxClockSkewSeconds, bad);
  const maxTokenAgeSeconds =
    env[ENV.jwtMaxTokenAgeSeconds] === undefined
      ? undefined
      : integerIn(ENV.jwtMaxTokenAgeSeconds, env, LIMITS.minTokenAgeSeconds, LIMITS.maxTokenAgeSeconds, bad);
  const tokenUse = env[ENV.jwtCognitoTokenUse];
  if (tokenUse !== undefined && !isCognitoTokenUse(tokenUse)) {
    bad(ENV.jwtCognitoTokenUse, `${COGNITO_TOKEN_USES.map((use) => `"${use}"`).join(', ')}, or the variable unset for issuers other than Cognito`);
  }

  if (!tracker.valid || !issuer || !audience || !jwksUri || clockSkewSeconds === undefined) return undefined;
  return {
    issuer,
    audience,
    jwksUri: new URL(jwksUri),
    algorithms,
    requiredClaims,
    clockSkewSeconds,
    ...(tokenUse !== undefined && isCognitoTokenUse(tokenUse) ? { cognitoTokenUse: tokenUse } : {}),
    ...(maxTokenAgeSeconds !== undefined ? { maxTokenAgeSeconds } : {}),
  };
}

function isCognitoTokenUse(value: string): value is CognitoTokenUse {
  return (COGNITO_TOKEN_USES as readonly string[]).includes(value);
}

/** An https URL, or an http URL on the loopback interface (a local JWKS in tests and `npm run local`). */
function isSecureUrl(value: string | undefined): value is string {
  if (value === undefined) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}
