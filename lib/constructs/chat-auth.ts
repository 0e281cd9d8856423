import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** A JWT claim name the handler can require (`email`, `cognito:username`, …). */
export const CLAIM_NAME = /^[A-Za-z0-9_:.-]{1,64}$/;

/** Asymmetric algorithms a token may be signed with. `none` and HMAC (`HS*`) are never accepted. */
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Which Cognito token a caller must present. */
export enum CognitoTokenUse {
  /** ID tokens (`token_use: id`, `aud` = the app client id), as seed 002's `id_token` header carries. */
  ID = 'id',
  /** Access tokens (`token_use: access`, `client_id` = the app client id). */
  ACCESS = 'access',
  /** Either. */
  ANY = 'any',
}

/** Verification rules for bearer tokens from any OIDC issuer. */
export interface JwtAuthOptions {
  /** The issuer (`iss`), an https URL, e.g. `https://example.eu.auth0.com/`. */
  readonly issuer: string;
  /** The audience the token must carry in `aud`. */
  readonly audience: string;
  /**
   * Where the issuer publishes its signing keys.
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUri?: string;
  /**
   * Claims every token must carry (seed 002 requires `email` and `username`).
   * @default - none beyond `sub`, `iss`, `aud`, `exp`
   */
  readonly requiredClaims?: string[];
  /**
   * Signature algorithms accepted; asymmetric only.
   * @default ['RS256']
   */
  readonly algorithms?: string[];
  /**
   * Tolerance on `exp` and `nbf` for clock differences.
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
}

/** Options for Cognito user pool tokens. */
export interface CognitoAuthOptions {
  /** @default - none beyond the standard claims */
  readonly requiredClaims?: string[];
  /** @default CognitoTokenUse.ANY */
  readonly tokenUse?: CognitoTokenUse;
  /** @default Duration.seconds(30) */
  readonly clockSkew?: Duration;
}

/** What a `ChatAuth` contributes to the function. */
export interface ChatAuthConfig {
  readonly mode: 'iam' | 'jwt';
  readonly functionUrlAuthType: lambda.FunctionUrlAuthType;
  /** Environment variables the handler reads at init. */
  readonly environment: Record<string, string>;
}

/**
 * How callers of a `BedrockChatFunction` authenticate.
 *
 * - `ChatAuth.iam()`: the Function URL requires SigV4 (`AWS_IAM`); callers need
 *   `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the function (e.g. Cognito guests).
 * - `ChatAuth.jwt(...)` / `ChatAuth.cognito(...)`: the URL is public (`NONE`) and the handler
 *   verifies every request's bearer token (signature against the issuer's JWKS, algorithm
 *   allow-list, `iss`, `aud`, `exp`/`nbf`, required claims) before any other work.
 */
export abstract class ChatAuth {
  /** SigV4-signed requests only; the caller is the IAM identity that signed. */
  public static iam(): ChatAuth {
    return new IamChatAuth();
  }

  /** Bearer tokens from any OIDC issuer. */
  public static jwt(options: JwtAuthOptions): ChatAuth {
    return new JwtChatAuth(options);
  }

  /** ID or access tokens of one Cognito user pool app client. */
  public static cognito(userPool: cognito.IUserPool, client: cognito.IUserPoolClient, options: CognitoAuthOptions = {}): ChatAuth {
    return new CognitoChatAuth(userPool, client, options);
  }

  /** Renders this mode for the function in `scope`; validates its options. */
  public abstract bind(scope: Construct): ChatAuthConfig;
}

class IamChatAuth extends ChatAuth {
  public bind(): ChatAuthConfig {
    return { mode: 'iam', functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM, environment: {} };
  }
}

class JwtChatAuth extends ChatAuth {
  constructor(private readonly options: JwtAuthOptions) {
    super();
  }

  public bind(scope: Construct): ChatAuthConfig {
    const o = this.options;
    const where = `ChatAuth.jwt (${scope.node.path})`;
    assertHttpsUrl(o.issuer, `${where}: issuer`);
    const issuer = o.issuer;
    const jwksUri = o.jwksUri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
    assertHttpsUrl(jwksUri, `${where}: jwksUri`);
    if (!Token.isUnresolved(o.audience) && o.audience.trim() === '') throw new Error(`${where}: audience must not be empty`);
    return jwtConfig({ issuer, audience: o.audience, jwksUri, requiredClaims: o.requiredClaims, algorithms: o.algorithms, clockSkew: o.clockSkew, tokenUse: undefined }, where);
  }
}

class CognitoChatAuth extends ChatAuth {
  constructor(private readonly userPool: cognito.IUserPool, private readonly client: cognito.IUserPoolClient, private readonly options: CognitoAuthOptions) {
    super();
  }

  public bind(scope: Construct): ChatAuthConfig {
    // https://cognito-idp.<region>.amazonaws.com/<pool id>, the `iss` of every token of the pool.
    const issuer = `https://cognito-idp.${Stack.of(this.userPool).region}.${Stack.of(this.userPool).urlSuffix}/${this.userPool.userPoolId}`;
    return jwtConfig({
      issuer,
      audience: this.client.userPoolClientId,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      requiredClaims: this.options.requiredClaims,
      algorithms: ['RS256'],
      clockSkew: this.options.clockSkew,
      tokenUse: this.options.tokenUse ?? CognitoTokenUse.ANY,
    }, `ChatAuth.cognito (${scope.node.path})`);
  }
}

interface ResolvedJwtOptions {
  issuer: string;
  audience: string;
  jwksUri: string;
  requiredClaims?: string[];
  algorithms?: string[];
  clockSkew?: Duration;
  tokenUse?: CognitoTokenUse;
}

function jwtConfig(o: ResolvedJwtOptions, where: string): ChatAuthConfig {
  const algorithms = o.algorithms ?? ['RS256'];
  const bad = algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  if (algorithms.length === 0 || bad.length > 0) {
    throw new Error(`${where}: algorithms ${JSON.stringify(bad.length ? bad : algorithms)} not accepted; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')}): never 'none' or HMAC`);
  }
  const claims = o.requiredClaims ?? [];
  const badClaim = claims.find((c) => !CLAIM_NAME.test(c));
  if (badClaim !== undefined) throw new Error(`${where}: required claim '${badClaim}' is not a claim name`);
  const skew = (o.clockSkew ?? Duration.seconds(30)).toSeconds();
  if (skew > 300) throw new Error(`${where}: clockSkew must be at most 5 minutes, got ${skew} seconds`);
  return {
    mode: 'jwt',
    functionUrlAuthType: lambda.FunctionUrlAuthType.NONE,
    environment: {
      JWT_ISSUER: o.issuer,
      JWT_AUDIENCE: o.audience,
      JWT_JWKS_URI: o.jwksUri,
      JWT_ALGORITHMS: algorithms.join(','),
      JWT_REQUIRED_CLAIMS: claims.join(','),
      JWT_CLOCK_SKEW_SECONDS: String(skew),
      ...(o.tokenUse ? { JWT_COGNITO_TOKEN_USE: o.tokenUse } : {}),
    },
  };
}

function assertHttpsUrl(value: string, what: string): void {
  if (Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try { url = new URL(value); } catch { url = undefined; }
  if (!url || url.protocol !== 'https:') throw new Error(`${what} must be an https URL, got '${value}'`);
}
