/**
 * The assumed-role credential cache with an injected clock and a counting AssumeRole: one STS call per lifetime,
 * shared by concurrent requests, refreshed the margin before expiry, dropped on demand; failures are the chat's
 * own codes.
 */
import { AssumedRoleCredentials, type AssumeRoleRequest, type TemporaryCredentials } from '../../../../lambdas/chat/access/assumed-role';
import { readCallerCredentials } from '../../../../lambdas/chat/access/caller-credentials';
import { ChatError } from '../../../../lambdas/chat/http/errors';

const HOUR = 3_600_000;
const MARGIN = 300_000;

function setup(fail?: () => Error) {
  let clock = 1_000_000;
  const calls: AssumeRoleRequest[] = [];
  const credentials = new AssumedRoleCredentials({
    roleArn: 'arn:aws:iam::222222222222:role/CentralBedrock',
    sessionName: 'bedrock-chat',
    externalId: 'tenant-42',
    durationSeconds: 3600,
    refreshMarginMs: MARGIN,
    now: () => clock,
    assumeRole: async (request) => {
      calls.push(request);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw fail();
      return { accessKeyId: `ASIA${calls.length}`, secretAccessKey: 's', sessionToken: 't', expiresAt: clock + HOUR };
    },
  });
  return { credentials, calls, advance: (ms: number) => (clock += ms) };
}

test('50 concurrent requests share one STS call; cached until the margin before expiry, then one more call', async () => {
  const { credentials, calls, advance } = setup();
  const first = await Promise.all(Array.from({ length: 50 }, () => credentials.get()));
  expect(calls).toEqual([
    { roleArn: 'arn:aws:iam::222222222222:role/CentralBedrock', sessionName: 'bedrock-chat', externalId: 'tenant-42', durationSeconds: 3600 },
  ]);
  expect(new Set(first).size).toBe(1);
  advance(HOUR - MARGIN - 1);
  await credentials.get();
  expect(calls).toHaveLength(1);
  advance(1);
  const refreshed = await Promise.all(Array.from({ length: 20 }, () => credentials.get()));
  expect(calls).toHaveLength(2);
  expect(new Set(refreshed.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA2']));
});

test('invalidate drops only the credentials it names', async () => {
  const { credentials, calls } = setup();
  const first: TemporaryCredentials = await credentials.get();
  const second = { ...first };
  credentials.invalidate(second); // not the cached object: nothing happens
  await credentials.get();
  expect(calls).toHaveLength(1);
  credentials.invalidate(first);
  expect((await credentials.get()).accessKeyId).toBe('ASIA2');
});

test('STS AccessDenied is 502 role_assumption_denied; anything else 503 role_assumption_unavailable; the next request tries again', async () => {
  const denied = Object.assign(new Error('User: x is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' });
  const a = setup(() => denied);
  await expect(a.credentials.get()).rejects.toMatchObject({ status: 502, code: 'role_assumption_denied' });
  await expect(a.credentials.get()).rejects.toBeInstanceOf(ChatError);
  expect(a.calls).toHaveLength(2);
  const b = setup(() => Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));
  await expect(b.credentials.get()).rejects.toMatchObject({ status: 503, code: 'role_assumption_unavailable' });
});

describe('awsCredentials in the body', () => {
  const KEY = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'aliceSecretKey/0000000000000000000000001' };
  const read = (credentials: unknown) => readCallerCredentials({ message: 'hi', awsCredentials: credentials }, ['eu-west-1', 'us-east-1']);

  test('valid credentials and region; the first allowed region by default', () => {
    expect(read(KEY)).toEqual({ credentials: KEY, region: 'eu-west-1' });
    expect(read({ ...KEY, region: 'us-east-1', sessionToken: null })).toEqual({ credentials: KEY, region: 'us-east-1' });
  });

  test.each<[unknown, string]>([
    [undefined, 'credentials_required'],
    [{ accessKeyId: KEY.accessKeyId }, 'credentials_required'],
    ['AKIA…', 'invalid_body'],
    [{ ...KEY, accessKeyId: 'akia-lower-case-0001' }, 'invalid_body'],
    [{ ...KEY, secretAccessKey: 'short' }, 'invalid_body'],
    [{ ...KEY, sessionToken: 42 }, 'invalid_body'],
    [{ ...KEY, accessKeyId: 'ASIATEMPORARY0000001' }, 'credentials_required'],
    [{ ...KEY, region: 'ap-south-1' }, 'region_not_allowed'],
    [{ ...KEY, region: 'https://evil.example.com' }, 'region_not_allowed'],
  ])('%j → %s, and the message quotes no value', (credentials, code) => {
    let error: unknown;
    try {
      read(credentials);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code, status: 400 });
    expect((error as Error).message).not.toContain(KEY.secretAccessKey);
    expect((error as Error).message).not.toContain('evil');
  });
});
