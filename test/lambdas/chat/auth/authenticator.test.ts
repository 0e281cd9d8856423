/** The authentication step chosen by `CHAT_AUTH_MODE`. */
import { createAuthenticator, requireUser } from '../../../../lambdas/chat/auth/authenticator';
import { caller } from '../../../../lambdas/chat/auth/caller';
import type { JwtAuthConfig } from '../../../../lambdas/chat/auth/jwt-config';
import { functionUrlEvent } from '../../../support/events';

const JWT: JwtAuthConfig = {
  issuer: 'https://issuer.example.com',
  audience: 'chat',
  jwksUri: new URL('https://issuer.example.com/.well-known/jwks.json'),
  algorithms: ['RS256'],
  requiredClaims: [],
  clockSkewSeconds: 30,
};

test('iam: the caller is the identity the Function URL verified', async () => {
  const authenticator = createAuthenticator({ mode: 'iam', guestRoles: [] });
  expect(authenticator.method).toBe('iam');
  await expect(authenticator.authenticate(functionUrlEvent())).resolves.toMatchObject({ kind: 'guest' });
});

test('jwt: a request without a bearer token is refused with 401 token_missing (the SigV4 header is no token)', async () => {
  const authenticator = createAuthenticator({ mode: 'jwt', jwt: JWT });
  expect(authenticator.method).toBe('jwt');
  await expect(authenticator.authenticate(functionUrlEvent())).rejects.toMatchObject({ status: 401, code: 'token_missing' });
});

test('requireUser: the verified subject, or a 500 for a caller without one (its config should have refused the method)', () => {
  expect(requireUser(caller('jwt', 'alice', 'alice'))).toBe('alice');
  expect(() => requireUser(caller('ip', '203.0.113.1'))).toThrow(expect.objectContaining({ status: 500, code: 'internal_error' }) as Error);
});
