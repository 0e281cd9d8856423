import {
  type GuestCredentialsEmulator,
  LOCAL_GUEST_ROLE_ARN,
  LOCAL_IDENTITY_POOL_ID,
  startGuestCredentialsEmulator,
} from '../../tools/local/guest-credentials-emulator';
import { createFetchGuestCredentials } from '../../web/src/guest-credentials';

describe("the page's fetch-based guest credentials, against the Cognito Identity + STS stand-in", () => {
  let stand: GuestCredentialsEmulator;
  beforeAll(async () => {
    stand = await startGuestCredentialsEmulator();
  });
  afterAll(() => stand.close());

  test('GetId once, then GetOpenIdToken and AssumeRoleWithWebIdentity; cached, and shared by concurrent callers', async () => {
    stand.reset();
    const provider = createFetchGuestCredentials({
      identityPoolId: LOCAL_IDENTITY_POOL_ID,
      guestRoleArn: LOCAL_GUEST_ROLE_ARN,
      cognitoIdentityEndpoint: stand.url,
      stsEndpoint: stand.url,
    });
    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a).toBe(b);
    expect(a.accessKeyId).toBe(stand.issued[0]!.accessKeyId);
    expect(a.sessionToken).toMatch(/^LOCAL-FAKE-SESSION-TOKEN-/);
    expect(a.expiration?.getTime()).toBe(stand.issued[0]!.expiration.getTime());
    await provider();
    expect(stand.calls).toEqual({ GetId: 1, GetOpenIdToken: 1, AssumeRoleWithWebIdentity: 1 });
  });

  test('refreshes five minutes before expiry, keeping the identity', async () => {
    stand.reset();
    let now = Date.now();
    const provider = createFetchGuestCredentials({
      identityPoolId: LOCAL_IDENTITY_POOL_ID,
      guestRoleArn: LOCAL_GUEST_ROLE_ARN,
      cognitoIdentityEndpoint: stand.url,
      stsEndpoint: stand.url,
      now: () => now,
    });
    await provider();
    now += 56 * 60_000;
    await provider();
    expect(stand.calls).toEqual({ GetId: 1, GetOpenIdToken: 2, AssumeRoleWithWebIdentity: 2 });
  });

  test('a wrong pool or role fails with the service error name, not a parse error', async () => {
    const wrongPool = createFetchGuestCredentials({
      identityPoolId: 'us-east-1:11111111-1111-4111-8111-111111111111',
      guestRoleArn: LOCAL_GUEST_ROLE_ARN,
      cognitoIdentityEndpoint: stand.url,
      stsEndpoint: stand.url,
    });
    await expect(wrongPool()).rejects.toThrow('Cognito GetId failed: ResourceNotFoundException');
    const wrongRole = createFetchGuestCredentials({
      identityPoolId: LOCAL_IDENTITY_POOL_ID,
      guestRoleArn: 'arn:aws:iam::000000000000:role/Other',
      cognitoIdentityEndpoint: stand.url,
      stsEndpoint: stand.url,
    });
    await expect(wrongRole()).rejects.toThrow('STS AssumeRoleWithWebIdentity failed: AccessDenied');
  });
});
