/**
 * The chat page's runtime configuration (`/config.json`) and the security headers it is served with.
 *
 * One definition for the three places that meet here: the page reads it (web/src), `ChatWebsite`
 * writes it at deploy time from the stack's values, and `npm run local` writes it for the local
 * servers. No CDK or SDK imports: the page bundle and the local tooling import this file too.
 */

/** Guest visitors: Cognito guest credentials (basic flow) sign each request with SigV4 (service `lambda`). */
export interface GuestBackendConfig {
  readonly kind: 'guest';
  readonly region: string;
  readonly identityPoolId: string;
  readonly guestRoleArn: string;
  /** Cognito Identity endpoint. Default `https://cognito-identity.<pool region>.amazonaws.com`. */
  readonly cognitoIdentityEndpoint?: string;
  /** STS endpoint. Default `https://sts.<pool region>.amazonaws.com`. */
  readonly stsEndpoint?: string;
}

/** An `AWS_IAM` Function URL signed in the browser with credentials the person types (they never leave the tab). */
export interface IamBackendConfig {
  readonly kind: 'iam';
  readonly region: string;
}

/** Sign-in with the authorization code flow and PKCE (Cognito managed login / hosted UI, or any OIDC provider). */
export interface SignInConfig {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** Where sign-out goes (Cognito `/logout`); `client_id` and `logout_uri` are added. */
  readonly logoutUrl?: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** Which token the chat verifies. */
  readonly tokenUse: 'id' | 'access';
}

/** A JWT chat (`POST /chat`, `GET /chats`...). */
export interface JwtBackendConfig {
  readonly kind: 'jwt';
  readonly signIn: SignInConfig;
  /**
   * The header the token travels in. Behind CloudFront's origin access control the `Authorization`
   * header carries CloudFront's own signature, so the token goes in `id_token` there.
   */
  readonly tokenHeader: 'authorization' | 'id_token';
}

/** The person's own AWS credentials travel in the body (`awsCredentials`) to a function that calls Bedrock with them. */
export interface CallerCredentialsBackendConfig {
  readonly kind: 'caller-credentials';
  /** Regions the function accepts; the first is the default. */
  readonly allowedRegions: readonly string[];
}

export type BackendKindConfig = GuestBackendConfig | IamBackendConfig | JwtBackendConfig | CallerCredentialsBackendConfig;

export type BackendConfig = BackendKindConfig & {
  /** Stable id (used in the page's backend picker). */
  readonly id: string;
  /** What the picker shows. */
  readonly label: string;
  /** The chat's URL: a Function URL, or a path of the page's own origin (a backend behind the same distribution). */
  readonly url: string;
  /** Model aliases a person may pick; the first is the default. Empty: the backend's default. */
  readonly models: readonly string[];
};

export interface PageConfig {
  /** The page's heading and document title. */
  readonly title: string;
  /** At least one; the first is selected when the page opens. */
  readonly backends: readonly BackendConfig[];
}

/**
 * The page's Content-Security-Policy. Scripts, styles and images come only from the page's origin;
 * `connect-src` names only the chat endpoints and identity services given; nothing may frame the page;
 * forms never submit anywhere (the page sends with `fetch`); and, where Trusted Types are enforced,
 * assigning an HTML string to the DOM throws.
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  const connect = ["'self'", ...new Set(connectSources)].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** Headers every page response carries, locally and behind CloudFront (where the response headers policy sets them). */
export const PAGE_SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/** The origin (`scheme://host[:port]`) of an absolute URL, for `connect-src`. */
export function originOf(url: string): string {
  return new URL(url).origin;
}
