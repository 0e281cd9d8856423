/**
 * Temporary AWS credentials for a guest (unauthenticated) Cognito identity, through Cognito's BASIC (classic)
 * flow, in browsers and Node.js:
 *
 *   Cognito Identity `GetId` (IdentityPoolId)            → identity id        (once per provider)
 *   Cognito Identity `GetOpenIdToken` (IdentityId)       → OpenID token       (at every refresh)
 *   STS `AssumeRoleWithWebIdentity` (guest role, token)  → temporary credentials
 *
 * Why the basic flow: the enhanced flow (`GetCredentialsForIdentity`, what `fromCognitoIdentityPool` uses)
 * scopes guest credentials down with the session policy `AmazonCognitoUnAuthedIdentitiesSessionPolicy`, which
 * does not include Lambda, so they could never invoke the Function URL. The identity pool has
 * `allowClassicFlow` (lib/constructs/cognito-guest-pool.ts); the guest role's own policy is the whole grant.
 *
 * The three calls are unsigned (Smithy `noAuth`): no credentials are needed to make them. They are made with
 * the AWS SDK's own clients, so the wire protocols (Cognito's JSON 1.1, STS's Query/XML) are AWS's code, and in
 * Node.js the SDK's `AWS_ENDPOINT_URL_COGNITO_IDENTITY` / `AWS_ENDPOINT_URL_STS` variables (or `endpoints`)
 * point them at a local stand-in (tools/local/guest-credentials-emulator.ts).
 *
 * Create the provider ONCE (module scope in a browser app): it keeps the identity id for its lifetime and the
 * credentials until {@link REFRESH_BEFORE_EXPIRY_MS} before they expire; concurrent callers share one refresh.
 * The identity id lives in memory only, so a page reload is a new guest.
 */
import { CognitoIdentityClient, GetIdCommand, GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When the credentials stop working; absent for credentials that do not expire. */
  readonly expiration?: Date;
}

/** Returns usable credentials; callers may call it per request (a caching provider answers from memory). */
export type CredentialsProvider = () => Promise<AwsCredentials>;

/** Endpoint overrides for the identity calls (local stand-ins); default the AWS regional endpoints. */
export interface GuestIdentityEndpoints {
  readonly cognitoIdentity?: string;
  readonly sts?: string;
}

export interface GuestCredentialsOptions {
  /** The identity pool's region (the `region:` prefix of its id). */
  readonly region: string;
  /** `<region>:<guid>` (stack output `IdentityPoolId`). */
  readonly identityPoolId: string;
  /** The pool's unauthenticated role (stack output `GuestRoleArn`). */
  readonly guestRoleArn: string;
  /** @default - the AWS endpoints (in Node.js, the SDK's `AWS_ENDPOINT_URL_*` variables apply) */
  readonly endpoints?: GuestIdentityEndpoints;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

export interface GuestCredentialsProvider extends CredentialsProvider {
  /** The guest's Cognito identity id, once known. */
  readonly identityId: string | undefined;
}

/** Credentials are refreshed when they have less than this left. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export function createGuestCredentialsProvider(options: GuestCredentialsOptions): GuestCredentialsProvider {
  const now = options.now ?? Date.now;
  // The three operations are unsigned (noAuth): the clients never look for credentials.
  const cognito = new CognitoIdentityClient({
    region: options.region,
    ...(options.endpoints?.cognitoIdentity ? { endpoint: options.endpoints.cognitoIdentity } : {}),
  });
  const sts = new STSClient({
    region: options.region,
    ...(options.endpoints?.sts ? { endpoint: options.endpoints.sts } : {}),
  });

  let identityId: string | undefined;
  let cached: AwsCredentials | undefined;
  let refreshing: Promise<AwsCredentials> | undefined;

  async function refresh(): Promise<AwsCredentials> {
    identityId ??= await getId();
    let token: string;
    try {
      const output = await cognito.send(new GetOpenIdTokenCommand({ IdentityId: identityId }));
      if (!output.Token) throw new Error('Cognito GetOpenIdToken returned no token');
      token = output.Token;
    } catch (error) {
      // The identity was deleted (or belongs to another pool): the next attempt starts with a new one.
      if ((error as Error).name === 'ResourceNotFoundException') identityId = undefined;
      throw error;
    }
    const { Credentials: c } = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: options.guestRoleArn,
        WebIdentityToken: token,
        // Names the session after the guest, so CloudTrail and the function's caller ARN tell guests apart.
        RoleSessionName: `guest-${identityId
          .slice(identityId.indexOf(':') + 1)
          .replace(/[^\w+=,.@-]/g, '')
          .slice(0, 58)}`,
      }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error('STS AssumeRoleWithWebIdentity returned incomplete credentials');
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }

  async function getId(): Promise<string> {
    const output = await cognito.send(new GetIdCommand({ IdentityPoolId: options.identityPoolId }));
    if (!output.IdentityId) throw new Error('Cognito GetId returned no identity id');
    return output.IdentityId;
  }

  const provider = async (): Promise<AwsCredentials> => {
    if (cached && !expiresSoon(cached, now())) return cached;
    refreshing ??= refresh()
      .then((credentials) => (cached = credentials))
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  return Object.defineProperty(provider, 'identityId', { get: () => identityId, enumerable: true }) as GuestCredentialsProvider;
}

function expiresSoon(credentials: AwsCredentials, nowMs: number): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - nowMs <= REFRESH_BEFORE_EXPIRY_MS;
}
