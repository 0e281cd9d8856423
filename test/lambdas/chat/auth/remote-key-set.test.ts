/**
 * The issuer's key set as the function fetches it (lambdas/chat/auth/remote-key-set.ts) and the verifier's lookup over
 * it (jwt-verifier.ts `keySetGetKey`), against the local token issuer: without the global `fetch` (undici is never
 * loaded for it), one fetch for concurrent first tokens, a prefetch the first token then uses, and a key set that
 * cannot be used failing as the issuer's problem. The cooldown and refetch rules run end to end in
 * test/lambdas/chat/modes/stored-chat/auth.test.ts.
 */
import { createTokenVerifier, type KeyLookup, keySetGetKey } from '../../../../lambdas/chat/auth/jwt-verifier';
import { KeySetUnavailableError, RemoteKeySet } from '../../../../lambdas/chat/auth/remote-key-set';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../../tools/local/jwt-issuer';

let issuer: LocalJwtIssuer;
const realFetch = globalThis.fetch;

beforeAll(async () => {
  issuer = await startLocalJwtIssuer();
});

afterAll(() => issuer.close());

/** The token's verified subject, checked against `keys` with the issuer's rules. */
function verify(token: string, keys: KeyLookup): Promise<{ payload: { sub: string } }> {
  const verifier = createTokenVerifier(
    {
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: new URL(issuer.jwksUri),
      algorithms: ['RS256', 'ES256'],
      requiredClaims: [],
      clockSkewSeconds: 30,
    },
    keys,
  );
  return verifier(token).then(({ subject }) => ({ payload: { sub: subject } }));
}

/** The verifier's 503 for a key set that cannot be used, and the issuer's failure it carries. */
async function unavailable(attempt: Promise<unknown>): Promise<Error> {
  const error = await attempt.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ChatError);
  expect((error as ChatError).status).toBe(503);
  const cause = (error as Error).cause;
  expect(cause).toBeInstanceOf(KeySetUnavailableError);
  return cause as Error;
}

afterEach(() => {
  globalThis.fetch = realFetch;
  issuer.fault = 'none';
});

test('tokens verify against keys fetched without the global fetch; concurrent first tokens share one fetch', async () => {
  globalThis.fetch = () => Promise.reject(new Error('the key set must not be fetched through the global fetch'));
  const keys = keySetGetKey(new RemoteKeySet(new URL(issuer.jwksUri)));
  const before = issuer.jwksRequests;
  const tokens = await Promise.all([issuer.sign({ sub: 'a' }), issuer.sign({ sub: 'b' }), issuer.sign({ sub: 'c' })]);
  const verified = await Promise.all(tokens.map((token) => verify(token, keys)));
  expect(verified.map((v) => v.payload.sub)).toEqual(['a', 'b', 'c']);
  expect(issuer.jwksRequests).toBe(before + 1);
});

test('a prefetch is the fetch the first token uses; with a fresh set cached, a prefetch fetches nothing', async () => {
  const remote = new RemoteKeySet(new URL(issuer.jwksUri));
  const keys = keySetGetKey(remote);
  const before = issuer.jwksRequests;
  remote.prefetch();
  expect((await verify(await issuer.sign({ sub: 'a' }), keys)).payload.sub).toBe('a');
  remote.prefetch();
  expect((await verify(await issuer.sign({ sub: 'b' }), keys)).payload.sub).toBe('b');
  expect(issuer.jwksRequests).toBe(before + 1);
});

test.each([
  ['answers 500', 'status500', /got 500/],
  ['answers HTML', 'notJson', /not JSON/],
] as const)('an issuer that %s fails with KeySetUnavailableError naming the JWKS; the next good answer is used', async (_what, fault, detail) => {
  const keys = keySetGetKey(new RemoteKeySet(new URL(issuer.jwksUri)));
  const token = await issuer.sign({ sub: 'a' });
  issuer.fault = fault;
  const error = await unavailable(verify(token, keys));
  expect(error.message).toContain(`The JWKS at ${new URL(issuer.jwksUri).origin}/.well-known/jwks.json could not be used`);
  expect(error.message).toMatch(detail);
  issuer.fault = 'none';
  expect((await verify(token, keys)).payload.sub).toBe('a');
});

test('a JSON answer that is no key set fails with KeySetUnavailableError and is not cached', async () => {
  let answer: unknown = { keys: 'none' };
  const remote = new RemoteKeySet(new URL(issuer.jwksUri), async () => answer);
  const keys = keySetGetKey(remote);
  const token = await issuer.sign({ sub: 'a' });
  const error = await unavailable(verify(token, keys));
  expect(error.message).toMatch(/JWKSInvalid: JSON Web Key Set malformed/);
  answer = await (await fetch(issuer.jwksUri)).json();
  expect((await verify(token, keys)).payload.sub).toBe('a');
});
