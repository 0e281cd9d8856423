import { identifyCaller } from '../../../lambdas/chat/auth/caller-identity';
import { ChatError } from '../../../lambdas/chat/http/errors';
import { assertPost, MAX_BODY_BYTES, readJsonBody, wantsEventStream } from '../../../lambdas/chat/http/event';
import { createHash } from 'node:crypto';
import { functionUrlEvent, IAM_IDENTITY } from '../../support/events';

function thrown(fn: () => unknown): ChatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChatError) return error;
    throw error;
  }
  throw new Error('expected a ChatError');
}

describe('Function URL event', () => {
  test('only POST is accepted: 405 with an Allow header', () => {
    expect(() => assertPost(functionUrlEvent())).not.toThrow();
    const error = thrown(() => assertPost(functionUrlEvent({ method: 'GET' })));
    expect(error).toMatchObject({ status: 405, code: 'method_not_allowed', headers: { allow: 'POST' } });
    expect(thrown(() => assertPost({})).status).toBe(405);
  });

  test('reads a JSON body, plain or base64', () => {
    expect(readJsonBody(functionUrlEvent({ body: { message: 'héllo' } }))).toEqual({ message: 'héllo' });
    expect(readJsonBody(functionUrlEvent({ body: { message: 'héllo' }, base64: true }))).toEqual({ message: 'héllo' });
  });

  test('invalid JSON → 400 invalid_json; a missing body is invalid JSON too', () => {
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: '{"message":' })))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(thrown(() => readJsonBody(functionUrlEvent()))).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  test(`a body over ${MAX_BODY_BYTES} bytes → 413, measured after base64 decoding`, () => {
    const atLimit = JSON.stringify({ message: 'x'.repeat(MAX_BODY_BYTES - 14) });
    expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY_BYTES);
    expect(() => readJsonBody(functionUrlEvent({ rawBody: atLimit, base64: true }))).not.toThrow();
    const over = JSON.stringify({ message: 'x'.repeat(MAX_BODY_BYTES - 13) });
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: over })))).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(thrown(() => readJsonBody(functionUrlEvent({ rawBody: over, base64: true }))).status).toBe(413);
  });

  test.each([
    ['text/event-stream', true],
    ['application/json, text/event-stream;q=0.9', true],
    ['TEXT/EVENT-STREAM', true],
    ['text/plain', false],
    ['text/event-streaming', false],
    [undefined, false],
  ])('Accept %p → SSE %p', (accept, sse) => {
    expect(wantsEventStream(functionUrlEvent({ headers: accept ? { accept } : {} }))).toBe(sse);
  });
});

describe('identifyCaller', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  test('a Cognito guest (unauthenticated) is keyed by source IP: guest identities cost nothing to mint', () => {
    const event = functionUrlEvent({ sourceIp: '203.0.113.9' });
    expect(IAM_IDENTITY.cognitoIdentity!.amr).toContain('unauthenticated');
    expect(identifyCaller(event)).toEqual({ kind: 'guest', keyHash: sha('guest:203.0.113.9') });
    const otherGuestSameIp = functionUrlEvent({ sourceIp: '203.0.113.9', iam: { ...IAM_IDENTITY, cognitoIdentity: { ...IAM_IDENTITY.cognitoIdentity!, identityId: 'eu-west-1:other' } } });
    expect(identifyCaller(otherGuestSameIp)).toEqual(identifyCaller(event));
  });

  test('a signed-in Cognito identity is keyed by its identity id', () => {
    const signedIn = { ...IAM_IDENTITY, cognitoIdentity: { ...IAM_IDENTITY.cognitoIdentity!, amr: ['authenticated', 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x'] } };
    expect(identifyCaller(functionUrlEvent({ iam: signedIn }))).toEqual({ kind: 'cognito', keyHash: sha(`cognito:${IAM_IDENTITY.cognitoIdentity!.identityId}`) });
  });

  test('then the IAM principal ARN, then the caller id', () => {
    const { cognitoIdentity: _omit, ...plainIam } = IAM_IDENTITY;
    expect(identifyCaller(functionUrlEvent({ iam: plainIam }))).toEqual({ kind: 'iam', keyHash: sha(`iam:${IAM_IDENTITY.userArn}`) });
    expect(identifyCaller(functionUrlEvent({ iam: { ...plainIam, userArn: '' } }))).toEqual({ kind: 'iam', keyHash: sha(`iam:${IAM_IDENTITY.callerId}`) });
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
