/** Who is calling under `CHAT_AUTH_MODE=iam` (the identity the Function URL verified), and bearer-token callers' keys. */
import { createHash } from 'node:crypto';
import { jwtCaller } from '../../../../lambdas/chat/auth/caller';
import { iamAuthenticator, identifyCaller } from '../../../../lambdas/chat/auth/iam-authenticator';
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

  test('then the IAM principal ARN, then the caller id', () => {
    const { cognitoIdentity: _omit, ...plainIam } = IAM_IDENTITY;
    expect(identifyCaller(functionUrlEvent({ iam: plainIam }))).toEqual({ kind: 'iam', keyHash: sha(`iam:${IAM_IDENTITY.userArn}`) });
    expect(identifyCaller(functionUrlEvent({ iam: { ...plainIam, userArn: '' } }))).toEqual({
      kind: 'iam',
      keyHash: sha(`iam:${IAM_IDENTITY.callerId}`),
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
    await expect(iamAuthenticator.authenticate(functionUrlEvent({ iam: null, sourceIp: '198.51.100.7' }))).resolves.toEqual({
      kind: 'ip',
      keyHash: sha('ip:198.51.100.7'),
    });
  });

  test("a bearer-token caller is keyed by the token's subject, and carries it as the verified user", () => {
    expect(jwtCaller('alice')).toEqual({ kind: 'jwt', keyHash: sha('jwt:alice'), subject: 'alice' });
  });
});
