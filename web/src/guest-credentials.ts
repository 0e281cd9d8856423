/**
 * Cognito guest credentials for the page, with `fetch` instead of the AWS SDK clients.
 *
 * Same flow and caching as the typed client's provider (client/guest-credentials.ts): Cognito
 * Identity `GetId` once, then `GetOpenIdToken` and STS `AssumeRoleWithWebIdentity` at each refresh,
 * credentials kept in memory until five minutes before they expire, concurrent callers sharing one
 * refresh. Why not that provider: its two SDK clients add about 180 KiB of minified JavaScript to a page
 * that is otherwise about 30 KiB; the three calls are two JSON posts and one form post. The wire shapes
 * are checked against the local Cognito/STS stand-in in tests.
 */
import type { AwsCredentials, CredentialsProvider } from '../../client/guest-credentials';

export interface FetchGuestCredentialsOptions {
  readonly identityPoolId: string;
  readonly guestRoleArn: string;
  /** @default https://cognito-identity.<pool region>.amazonaws.com */
  readonly cognitoIdentityEndpoint?: string;
  /** @default https://sts.<pool region>.amazonaws.com */
  readonly stsEndpoint?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export class GuestCredentialsError extends Error {
  public readonly name = 'GuestCredentialsError';
}

export function createFetchGuestCredentials(options: FetchGuestCredentialsOptions): CredentialsProvider {
  const region = options.identityPoolId.split(':')[0] ?? '';
  const cognitoUrl = options.cognitoIdentityEndpoint ?? `https://cognito-identity.${region}.amazonaws.com/`;
  const stsUrl = options.stsEndpoint ?? `https://sts.${region}.amazonaws.com/`;
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const now = options.now ?? Date.now;
  let identityId: string | undefined;
  let cached: AwsCredentials | undefined;
  let refreshing: Promise<AwsCredentials> | undefined;

  async function cognito(operation: 'GetId' | 'GetOpenIdToken', body: Record<string, string>): Promise<Record<string, unknown>> {
    const response = await doFetch(cognitoUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${operation}` },
      body: JSON.stringify(body),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const type = String(json.__type ?? response.status)
        .split('#')
        .pop();
      if (type === 'ResourceNotFoundException' && operation === 'GetOpenIdToken') identityId = undefined;
      throw new GuestCredentialsError(`Cognito ${operation} failed: ${type}`);
    }
    return json;
  }

  async function refresh(): Promise<AwsCredentials> {
    identityId ??= String((await cognito('GetId', { IdentityPoolId: options.identityPoolId })).IdentityId ?? '');
    if (!identityId) throw new GuestCredentialsError('Cognito GetId returned no identity id');
    const token = String((await cognito('GetOpenIdToken', { IdentityId: identityId })).Token ?? '');
    if (!token) throw new GuestCredentialsError('Cognito GetOpenIdToken returned no token');
    const form = new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: options.guestRoleArn,
      RoleSessionName: `guest-${identityId
        .slice(identityId.indexOf(':') + 1)
        .replace(/[^\w+=,.@-]/g, '')
        .slice(0, 58)}`,
      WebIdentityToken: token,
    });
    const response = await doFetch(stsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const xml = await response.text();
    if (!response.ok) throw new GuestCredentialsError(`STS AssumeRoleWithWebIdentity failed: ${xmlValue(xml, 'Code') ?? response.status}`);
    const accessKeyId = xmlValue(xml, 'AccessKeyId');
    const secretAccessKey = xmlValue(xml, 'SecretAccessKey');
    const sessionToken = xmlValue(xml, 'SessionToken');
    const expiration = xmlValue(xml, 'Expiration');
    if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration) throw new GuestCredentialsError('STS returned incomplete credentials');
    return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) };
  }

  return async () => {
    if (cached && (cached.expiration === undefined || cached.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS)) return cached;
    refreshing ??= refresh()
      .then((credentials) => (cached = credentials))
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
}

/** The text of the first `<name>` element (STS answers are flat and never nest these names). */
function xmlValue(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match
    ? match[1]?.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '')
    : undefined;
}
