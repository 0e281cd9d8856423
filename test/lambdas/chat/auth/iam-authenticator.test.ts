/** Who is calling under `CHAT_AUTH_MODE=iam` (the identity the Function URL verified), and bearer-token callers' keys. */
import { createHash } from 'node:crypto';
import { jwtCaller } from '../../../../lambdas/chat/auth/caller';
import { guestRoleOf, iamAuthenticator, identifyCaller } from '../../../../lambdas/chat/auth/iam-authenticator';
import { sourceAddressKey } from '../../../../lambdas/chat/auth/source-address';
import { functionUrlEvent, IAM_IDENTITY } from '../../../support/events';

describe('identifyCaller', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  test('a Cognito guest (unauthenticated) is keyed by source IP: guest identities cost nothing to mint', () => {
    const event = functionUrlEvent({ sourceIp: '203.0.113.9' });
    expect(IAM_IDENTITY.cognitoIdentity!.amr).toContain('unauthenticated');
    expect(identifyCaller(event)).toEqual({ kind: 'guest', keyHash: sha('guest:203.0.113.9') });
    const otherGuestSameIp = functionUrlEvent({
      sourceIp: '203.0.113.9',
      iam: { ...IAM_IDENTITY, cognitoIdentity: { ...IAM_IDENTITY.cognitoIdentity!, identityId: 'eu-west-1:other' } },
    });
    expect(identifyCaller(otherGuestSameIp)).toEqual(identifyCaller(event));
  });

  test('a signed-in Cognito identity is keyed by its identity id', () => {
    const signedIn = {
      ...IAM_IDENTITY,
      cognitoIdentity: { ...IAM_IDENTITY.cognitoIdentity!, amr: ['authenticated', 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x'] },
    };
    expect(identifyCaller(functionUrlEvent({ iam: signedIn }))).toEqual({
      kind: 'cognito',
      keyHash: sha(`cognito:${IAM_IDENTITY.cognitoIdentity!.identityId}`),
    });
  });

  test('then the IAM principal: a user by its ARN; an assumed role by the role, without the session name the caller chose', () => {
    const { cognitoIdentity: _omit, ...plainIam } = IAM_IDENTITY;
    const user = 'arn:aws:iam::123456789012:user/alice';
    expect(identifyCaller(functionUrlEvent({ iam: { ...plainIam, userArn: user } }))).toEqual({ kind: 'iam', keyHash: sha(`iam:${user}`) });
    const role = 'arn:aws:sts::123456789012:assumed-role/GuestRole';
    expect(identifyCaller(functionUrlEvent({ iam: plainIam }))).toEqual({ kind: 'iam', keyHash: sha(`iam:${role}`) });
    const otherSession = { ...plainIam, userArn: `${role}/session-${Math.random()}` };
    expect(identifyCaller(functionUrlEvent({ iam: otherSession }))).toEqual(identifyCaller(functionUrlEvent({ iam: plainIam })));
    expect(identifyCaller(functionUrlEvent({ iam: { ...plainIam, userArn: '' } }))).toEqual({ kind: 'iam', keyHash: sha('iam:AROAEXAMPLEROLEID') });
  });

  describe('guests are recognised by the role they use, not by a field that may be absent', () => {
    const guestRole = guestRoleOf('arn:aws:iam::123456789012:role/some/path/GuestRole')!;
    // Classic-flow credentials as a Function URL may show them: no cognitoIdentity at all, a session name of the caller's choice.
    const classic = (session: string, sourceIp = '203.0.113.9') =>
      functionUrlEvent({
        sourceIp,
        iam: { ...IAM_IDENTITY, cognitoIdentity: undefined, userArn: `arn:aws:sts::123456789012:assumed-role/GuestRole/${session}` },
      });

    test('a session of the guest role is a guest keyed by address, whatever session name it chose', () => {
      expect(identifyCaller(classic('a'), [guestRole])).toEqual({ kind: 'guest', keyHash: sha('guest:203.0.113.9') });
      expect(identifyCaller(classic('b'), [guestRole])).toEqual(identifyCaller(classic('a'), [guestRole]));
    });

    test('the same role name in another account is not the guest role', () => {
      const foreign = functionUrlEvent({
        iam: { ...IAM_IDENTITY, cognitoIdentity: undefined, userArn: 'arn:aws:sts::210987654321:assumed-role/GuestRole/x' },
      });
      expect(identifyCaller(foreign, [guestRole]).kind).toBe('iam');
    });

    test('an IPv6 guest is keyed by its /64: addresses of one subscriber share a count', () => {
      const one = identifyCaller(classic('a', '2001:db8:1234:5678::1'), [guestRole]);
      expect(identifyCaller(classic('a', '2001:0db8:1234:5678:ffff:eeee:dddd:cccc'), [guestRole])).toEqual(one);
      expect(one).toEqual({ kind: 'guest', keyHash: sha('guest:2001:db8:1234:5678::/64') });
      expect(identifyCaller(classic('a', '2001:db8:1234:5679::1'), [guestRole])).not.toEqual(one);
    });
  });

  test('falls back to the source IP without an identity', () => {
    expect(identifyCaller(functionUrlEvent({ iam: null, sourceIp: '198.51.100.7' }))).toEqual({ kind: 'ip', keyHash: sha('ip:198.51.100.7') });
  });

  test('the key is a hash: neither the IP nor the ARN appears in it', () => {
    const key = identifyCaller(functionUrlEvent({ iam: null, sourceIp: '198.51.100.7' })).keyHash;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('198.51.100.7');
  });
});

describe('callers', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  test('the IAM authenticator needs no token: every request is authenticated by the Function URL', async () => {
    await expect(iamAuthenticator().authenticate(functionUrlEvent({ iam: null, sourceIp: '198.51.100.7' }))).resolves.toEqual({
      kind: 'ip',
      keyHash: sha('ip:198.51.100.7'),
    });
  });

  test("a bearer-token caller is keyed by the token's subject, and carries it as the verified user", () => {
    expect(jwtCaller('alice')).toEqual({ kind: 'jwt', keyHash: sha('jwt:alice'), subject: 'alice' });
  });
});

describe('sourceAddressKey', () => {
  test.each([
    ['198.51.100.7', '198.51.100.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1:2:3:4', '2001:db8:0:0::/64'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
    ['', 'unknown'],
    ['not an address', 'unknown'],
    [undefined, 'unknown'],
  ])('%s → %s', (ip, key) => {
    expect(sourceAddressKey(ip)).toBe(key);
  });
});
