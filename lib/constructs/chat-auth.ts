import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AUTH_MODES, DEFAULTS, ENV } from '../../contract/env';
import { LIMITS } from '../../contract/limits';
import { ASYMMETRIC_ALGORITHMS, CLAIM_NAME, COGNITO_ID_TOKEN_ONLY_CLAIMS, REGION } from '../../contract/patterns';
import { Validator } from '../private/validation';
import { IApiKeyTable } from './api-key-table';

/** How a chat function's callers authenticate (its `CHAT_AUTH_MODE`). */
export enum ChatAuthMode {
  /** SigV4 through an `AWS_IAM` Function URL; the caller is the verified IAM identity. */
  IAM = 'iam',
  /** A bearer JWT the handler verifies, behind a public (`NONE`) Function URL; the caller is the token's `sub`. */
  JWT = 'jwt',
  /** A bearer API key the handler looks up (by its SHA-256) in an `ApiKeyTable`, behind a public (`NONE`) Function URL. */
  API_KEY = 'api_key',
  /** Anyone, behind a public (`NONE`) Function URL; the caller is the source address (an IPv6 address by its /64). */
  PUBLIC = 'public',
}

/** Which Cognito token a caller must present. */
export enum CognitoTokenUse {
  /** ID tokens (`token_use: id`, `aud` = the app client id): they describe the user to the client that signed in. */
  ID = 'id',
  /**
   * Access tokens (`token_use: access`, `client_id` = the app client id, no `aud`): the token OAuth meant for calling an
   * API, revocable, and without the profile claims (`email`, `name`, …) that would otherwise travel with every request.
   */
  ACCESS = 'access',
  /** Either (`token_use` `id` or `access`, each with its own audience check). */
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
   * Claims every token must carry, e.g. `['email']`.
   * @default - none beyond `sub`, `iss`, `aud`, `exp`
   */
  readonly requiredClaims?: string[];
  /**
   * Signature algorithms accepted; asymmetric only (`none` and HMAC never).
   * @default ['RS256']
   */
  readonly algorithms?: string[];
  /**
   * Tolerance on `exp` and `nbf` for clock differences, at most 5 minutes.
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
  /**
   * Refuse tokens issued longer ago than this (their `iat`), whatever their `exp` says: for issuers whose tokens live
   * longer than this API should accept them. Tokens without `iat` are then refused too. 1 minute to 24 hours, whole
   * seconds; the clock skew applies.
   * @default - no limit of its own: `exp` decides
   */
  readonly maxTokenAge?: Duration;
  /**
   * Serve the function only through a CloudFront distribution with origin access control (the chat page's
   * `ChatWebsiteBackend.jwt({ distributionPath })`, behind its firewall): the Function URL takes `AWS_IAM` auth,
   * CloudFront signs each request in its `Authorization` header, so callers send their token in `id_token`.
   * @default false - a public Function URL (auth type `NONE`); the function verifies every token
   */
  readonly behindCloudFront?: boolean;
}

/** Options for Cognito user pool tokens. */
export interface CognitoAuthOptions {
  /**
   * Claims every token must carry. Claims that only ID tokens carry (`email`, `name`, `cognito:username`, …) need
   * `tokenUse` `ID` or `ANY`: with access tokens they are refused at synth, since no token could ever carry them.
   * @default - none beyond the standard claims
   */
  readonly requiredClaims?: string[];
  /**
   * Which token a caller must present. Access tokens are checked for `token_use: access` and `client_id` = the app
   * client; ID tokens for `token_use: id` and `aud` = the app client. The chat page sends the one this names
   * (`ChatWebsiteSignIn.cognito`'s `tokenUse`, whose default is the same).
   * @default CognitoTokenUse.ACCESS
   */
  readonly tokenUse?: CognitoTokenUse;
  /**
   * Tolerance on `exp` and `nbf` for clock differences, at most 5 minutes.
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
  /**
   * Serve the function only through a CloudFront distribution with origin access control (the chat page's
   * `ChatWebsiteBackend.jwt({ distributionPath })`, behind its firewall): the Function URL takes `AWS_IAM` auth,
   * CloudFront signs each request in its `Authorization` header, so callers send their token in `id_token`.
   * @default false - a public Function URL (auth type `NONE`); the function verifies every token
   */
  readonly behindCloudFront?: boolean;
}

/** What a `ChatAuth` contributes to the function. */
export interface ChatAuthConfig {
  /** How callers authenticate; written as `CHAT_AUTH_MODE`. */
  readonly mode: ChatAuthMode;
  /** The Function URL's auth type. */
  readonly functionUrlAuthType: lambda.FunctionUrlAuthType;
  /** Environment variables the handler reads at init (names from the runtime contract). */
  readonly environment: Record<string, string>;
  /** The API key table the function verifies keys against (`dynamodb:GetItem`), with API key auth. */
  readonly apiKeyTable?: IApiKeyTable;
}

/**
 * How callers of a `BedrockChatFunction` authenticate.
 *
 * - `ChatAuth.iam()`: the Function URL requires SigV4 (`AWS_IAM`); callers need
 *   `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the function (e.g. Cognito guests).
 * - `ChatAuth.jwt(...)` / `ChatAuth.cognito(...)`: the URL is public (`NONE`) and the handler
 *   verifies every request's bearer token (signature against the issuer's JWKS, algorithm
 *   allow-list, `iss`, `aud`, `exp`/`nbf`, required claims) before any other work.
 * - `ChatAuth.apiKeys(table)`: a public URL, each request's bearer API key looked up in the table.
 * - `ChatAuth.publicUrl()`: a public URL that authenticates nobody; each source address is a caller.
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

  /**
   * Access tokens (or, with `tokenUse`, ID tokens) of one Cognito user pool app client. The issuer is the pool's own
   * region (read from the pool id `<region>_…`, or from its ARN), so a pool imported from another region works.
   */
  public static cognito(userPool: cognito.IUserPool, client: cognito.IUserPoolClient, options: CognitoAuthOptions = {}): ChatAuth {
    return new CognitoChatAuth(userPool, client, options);
  }

  /**
   * API keys (`Authorization: Bearer <key>`, what OpenAI clients send), kept as SHA-256 hashes in `table`; one
   * `GetItem` per request at most (positive lookups are cached for a minute, so a revoked key stops working within
   * a minute). Keys are administered with `npm run keys`.
   */
  public static apiKeys(table: IApiKeyTable): ChatAuth {
    return new ApiKeyChatAuth(table);
  }

  /**
   * Nobody is authenticated: anyone who knows the URL may call it (auth type `NONE`). Each source address (an IPv6
   * address by its /64) is one caller, rate-limited as such, and the limit fails closed unless `rateLimit.failOpen`
   * says otherwise. Meant for `BedrockAccess.callerCredentials()`, where every Bedrock call is signed (and paid for)
   * by the caller's own AWS identity. With any other access mode the function's (or the assumed role's) Bedrock
   * permissions serve anyone on the internet, bounded only by the rate limit, budgets and reserved concurrency.
   */
  public static publicUrl(): ChatAuth {
    return new PublicChatAuth();
  }

  /** Renders this mode for the function in `scope`; validates its options. */
  public abstract bind(scope: Construct): ChatAuthConfig;
}

class IamChatAuth extends ChatAuth {
  public bind(): ChatAuthConfig {
    return { mode: ChatAuthMode.IAM, functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM, environment: { [ENV.authMode]: AUTH_MODES.iam } };
  }
}

class PublicChatAuth extends ChatAuth {
  public bind(): ChatAuthConfig {
    return { mode: ChatAuthMode.PUBLIC, functionUrlAuthType: lambda.FunctionUrlAuthType.NONE, environment: { [ENV.authMode]: AUTH_MODES.publicUrl } };
  }
}

class ApiKeyChatAuth extends ChatAuth {
  constructor(private readonly table: IApiKeyTable) {
    super();
  }

  public bind(): ChatAuthConfig {
    return {
      mode: ChatAuthMode.API_KEY,
      functionUrlAuthType: lambda.FunctionUrlAuthType.NONE,
      environment: { [ENV.authMode]: AUTH_MODES.apiKey, [ENV.apiKeyTable]: this.table.tableName },
      apiKeyTable: this.table,
    };
  }
}

class JwtChatAuth extends ChatAuth {
  constructor(private readonly options: JwtAuthOptions) {
    super();
  }

  public bind(scope: Construct): ChatAuthConfig {
    const o = this.options;
    const v = Validator.of('ChatAuth.jwt', scope);
    assertHttpsUrl(v, 'issuer', o.issuer);
    const jwksUri = o.jwksUri ?? `${o.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
    assertHttpsUrl(v, 'jwksUri', jwksUri);
    v.check(
      o.audience,
      (a) => a.trim() !== '' && a.length <= 512,
      () => 'audience must not be empty (at most 512 characters)',
    );
    return jwtConfig(v, {
      issuer: o.issuer,
      audience: o.audience,
      jwksUri,
      requiredClaims: o.requiredClaims,
      algorithms: o.algorithms,
      clockSkew: o.clockSkew,
      maxTokenAge: o.maxTokenAge,
      behindCloudFront: o.behindCloudFront,
    });
  }
}

const ID_TOKEN_ONLY_CLAIMS = new Set(COGNITO_ID_TOKEN_ONLY_CLAIMS);

class CognitoChatAuth extends ChatAuth {
  constructor(
    private readonly userPool: cognito.IUserPool,
    private readonly client: cognito.IUserPoolClient,
    private readonly options: CognitoAuthOptions,
  ) {
    super();
  }

  public bind(scope: Construct): ChatAuthConfig {
    const v = Validator.of('ChatAuth.cognito', scope);
    const tokenUse = this.options.tokenUse ?? CognitoTokenUse.ACCESS;
    const idOnly = (this.options.requiredClaims ?? []).filter((claim) => ID_TOKEN_ONLY_CLAIMS.has(claim));
    if (tokenUse === CognitoTokenUse.ACCESS && idOnly.length > 0) {
      v.fail(
        `tokenUse ACCESS${this.options.tokenUse === undefined ? ' (the default)' : ''} with requiredClaims ${JSON.stringify(idOnly)}: ` +
          `Cognito access tokens carry no ${idOnly.join(', ')} ` +
          '(only ID tokens do), so every token would be refused; use tokenUse: CognitoTokenUse.ID, or drop those claims',
      );
    }
    // https://cognito-idp.<pool region>.<suffix>/<pool id>: the `iss` of every token of the pool.
    const issuer = `https://cognito-idp.${userPoolRegion(this.userPool)}.${Stack.of(scope).urlSuffix}/${this.userPool.userPoolId}`;
    return jwtConfig(v, {
      issuer,
      audience: this.client.userPoolClientId,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      requiredClaims: this.options.requiredClaims,
      algorithms: ['RS256'],
      clockSkew: this.options.clockSkew,
      tokenUse,
      behindCloudFront: this.options.behindCloudFront,
    });
  }
}

/**
 * The region a user pool lives in: the prefix of its id (`eu-west-1_AbCdEf123`) when the id is known at synth time,
 * else the region of its ARN (a pool imported by ARN) or of the stack that defines it.
 */
function userPoolRegion(userPool: cognito.IUserPool): string {
  const id = userPool.userPoolId;
  if (!Token.isUnresolved(id)) {
    const region = id.split('_')[0];
    if (REGION.test(region)) return region;
  }
  return userPool.env.region;
}

interface ResolvedJwtOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly requiredClaims?: string[];
  readonly algorithms?: string[];
  readonly clockSkew?: Duration;
  readonly maxTokenAge?: Duration;
  readonly tokenUse?: CognitoTokenUse;
  readonly behindCloudFront?: boolean;
}

function jwtConfig(v: Validator, o: ResolvedJwtOptions): ChatAuthConfig {
  const algorithms = o.algorithms ?? [...DEFAULTS.jwtAlgorithms];
  const bad = algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  if (algorithms.length === 0 || bad.length > 0) {
    v.fail(
      `algorithms ${JSON.stringify(bad.length ? bad : algorithms)} not accepted; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')}): never 'none' or HMAC`,
    );
  }
  const claims = o.requiredClaims ?? [];
  for (const claim of claims)
    v.check(
      claim,
      (c) => CLAIM_NAME.test(c),
      (c) => `required claim '${c}' is not a claim name (1 to 64 of A-Z a-z 0-9 _ : . -)`,
    );
  const skew = o.clockSkew === undefined ? DEFAULTS.jwtClockSkewSeconds : o.clockSkew.toSeconds();
  v.check(
    skew,
    (s) => Number.isInteger(s) && s <= LIMITS.maxClockSkewSeconds,
    (s) => `clockSkew must be at most 5 minutes (whole seconds), got ${s} seconds`,
  );
  const maxAge = o.maxTokenAge?.toSeconds({ integral: false });
  if (maxAge !== undefined) {
    v.check(
      maxAge,
      (s) => Number.isInteger(s) && s >= LIMITS.minTokenAgeSeconds && s <= LIMITS.maxTokenAgeSeconds,
      (s) => `maxTokenAge must be 1 minute to 24 hours (whole seconds), got ${s} seconds; or leave it out to let exp alone decide`,
    );
  }
  return {
    mode: ChatAuthMode.JWT,
    functionUrlAuthType: o.behindCloudFront ? lambda.FunctionUrlAuthType.AWS_IAM : lambda.FunctionUrlAuthType.NONE,
    environment: {
      [ENV.authMode]: AUTH_MODES.jwt,
      [ENV.jwtIssuer]: o.issuer,
      [ENV.jwtAudience]: o.audience,
      [ENV.jwtJwksUri]: o.jwksUri,
      [ENV.jwtAlgorithms]: algorithms.join(','),
      [ENV.jwtRequiredClaims]: claims.join(','),
      [ENV.jwtClockSkewSeconds]: String(skew),
      ...(o.tokenUse ? { [ENV.jwtCognitoTokenUse]: o.tokenUse } : {}),
      ...(maxAge !== undefined ? { [ENV.jwtMaxTokenAgeSeconds]: String(maxAge) } : {}),
    },
  };
}

function assertHttpsUrl(v: Validator, name: string, value: string): void {
  v.check(
    value,
    (s) => {
      try {
        return new URL(s).protocol === 'https:';
      } catch {
        return false;
      }
    },
    (s) => `${name} must be an https URL, got '${s}'`,
  );
}
