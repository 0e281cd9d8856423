/**
 * The guest credentials provider with the REAL Cognito Identity and STS clients against the local stand-in
 * (tools/local/guest-credentials-emulator.ts): the basic flow, caching, one shared refresh, refresh near
 * expiry (injected clock), and failures.
 */
import { createGuestCredentialsProvider, type GuestCredentialsOptions, REFRESH_BEFORE_EXPIRY_MS } from '../../client/guest-credentials';
import {
  type GuestCredentialsEmulator,
  LOCAL_GUEST_ROLE_ARN,
  LOCAL_IDENTITY_POOL_ID,
  startGuestCredentialsEmulator,
} from '../../tools/local/guest-credentials-emulator';
import { setEnv } from '../support/local-services';

const LIFETIME_S = 3600;
let emulator: GuestCredentialsEmulator;
let restoreEnv: () => void;

beforeAll(async () => {
  // No AWS credentials anywhere: the three calls are unsigned and must not need any.
  restoreEnv = setEnv({
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  emulator = await startGuestCredentialsEmulator({ credentialLifetimeSeconds: LIFETIME_S });
});

afterAll(async () => {
  await emulator.close();
  restoreEnv();
});

beforeEach(() => emulator.reset());

function options(overrides: Partial<GuestCredentialsOptions> = {}): GuestCredentialsOptions {
  return {
    region: 'us-east-1',
    identityPoolId: LOCAL_IDENTITY_POOL_ID,
    guestRoleArn: LOCAL_GUEST_ROLE_ARN,
    endpoints: { cognitoIdentity: emulator.url, sts: emulator.url },
    ...overrides,
  };
}

test('GetId → GetOpenIdToken → AssumeRoleWithWebIdentity once; later calls answer from the cache', async () => {
  const provider = createGuestCredentialsProvider(options());
  expect(provider.identityId).toBeUndefined();
  const first = await provider();
  expect(first).toEqual({
    accessKeyId: expect.stringMatching(/^ASIA/),
    secretAccessKey: expect.any(String),
    sessionToken: expect.any(String),
    expiration: expect.any(Date),
  });
  for (let i = 0; i < 5; i++) expect(await provider()).toBe(first);
  expect(emulator.calls).toEqual({ GetId: 1, GetOpenIdToken: 1, AssumeRoleWithWebIdentity: 1 });
  expect(provider.identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
  // The session is named after the guest, so the caller ARN and CloudTrail tell guests apart.
  expect(emulator.issued[0]).toMatchObject({ identityId: provider.identityId, roleSessionName: `guest-${provider.identityId!.split(':')[1]}` });
});

test('concurrent callers share one refresh', async () => {
  const provider = createGuestCredentialsProvider(options());
  const all = await Promise.all(Array.from({ length: 10 }, () => provider()));
  expect(new Set(all).size).toBe(1);
  expect(emulator.calls).toEqual({ GetId: 1, GetOpenIdToken: 1, AssumeRoleWithWebIdentity: 1 });
});

test(`refreshes ${REFRESH_BEFORE_EXPIRY_MS / 60_000} minutes before expiry, keeping the identity (injected clock)`, async () => {
  let clock = Date.now();
  const provider = createGuestCredentialsProvider(options({ now: () => clock }));
  const first = await provider();
  const expiresAt = first.expiration!.getTime();
  expect(expiresAt - clock).toBeGreaterThan(LIFETIME_S * 1000 - 5_000);

  clock = expiresAt - REFRESH_BEFORE_EXPIRY_MS - 1_000;
  expect(await provider()).toBe(first);
  expect(emulator.calls.AssumeRoleWithWebIdentity).toBe(1);

  clock = expiresAt - REFRESH_BEFORE_EXPIRY_MS + 1_000;
  const second = await provider();
  expect(second).not.toBe(first);
  expect(second.accessKeyId).not.toBe(first.accessKeyId);
  expect(emulator.calls).toEqual({ GetId: 1, GetOpenIdToken: 2, AssumeRoleWithWebIdentity: 2 });
  expect(new Set(emulator.issued.map((c) => c.identityId)).size).toBe(1);
});

test('the SDK endpoint variables AWS_ENDPOINT_URL_COGNITO_IDENTITY and AWS_ENDPOINT_URL_STS work instead of `endpoints`', async () => {
  const restore = setEnv({ AWS_ENDPOINT_URL_COGNITO_IDENTITY: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url });
  try {
    const provider = createGuestCredentialsProvider(options({ endpoints: undefined }));
    await provider();
    expect(emulator.calls).toEqual({ GetId: 1, GetOpenIdToken: 1, AssumeRoleWithWebIdentity: 1 });
  } finally {
    restore();
  }
});

test('an unknown identity pool fails with the service error, and a later call tries again', async () => {
  const provider = createGuestCredentialsProvider(options({ identityPoolId: 'us-east-1:11111111-1111-4111-8111-111111111111' }));
  await expect(provider()).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: expect.stringMatching(/not found/) });
  await expect(provider()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  expect(emulator.calls.GetId).toBe(0);
});

test('a role the token may not assume fails with AccessDenied; no credentials are cached', async () => {
  const provider = createGuestCredentialsProvider(options({ guestRoleArn: 'arn:aws:iam::000000000000:role/SomeOtherRole' }));
  await expect(provider()).rejects.toMatchObject({ name: 'AccessDenied' });
  expect(emulator.calls.AssumeRoleWithWebIdentity).toBe(0);
});
