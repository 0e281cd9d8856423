/**
 * The local stand-in for Cognito's managed login refuses what the real endpoints refuse for a public client:
 * a wrong PKCE verifier, a reused code, another redirect URI, a missing S256 challenge.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signInStandIn } from '../../../tools/local/sign-in-stand-in';

const CLIENT = 'local-chat-client';
let server: Server;
let base: string;

beforeAll(async () => {
  const routes = signInStandIn({
    clientId: CLIENT,
    redirectUris: () => [`${base}/`],
    signToken: async (subject) => `access-token-for-${subject}`,
    signIdToken: async (subject) => `id-token-for-${subject}`,
  });
  server = createServer((req, res) => {
    if (!routes(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifier = 'a-verifier-of-at-least-forty-three-characters-0123456789';
const challenge = createHash('sha256').update(verifier).digest('base64url');

async function authorize(overrides: Record<string, string> = {}): Promise<Response> {
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: `${base}/`,
    state: 's1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    username: 'alice',
    ...overrides,
  });
  return fetch(`${base}/oauth2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
}

async function token(code: string, codeVerifier = verifier, redirectUri = `${base}/`): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: CLIENT,
    code,
    redirect_uri: redirectUri,
    code_verifier: codeVerifier,
  });
  return fetch(`${base}/oauth2/token`, { method: 'POST', body: form });
}

function codeOf(response: Response): string {
  const location = new URL(response.headers.get('location')!);
  expect(location.searchParams.get('state')).toBe('s1');
  return location.searchParams.get('code')!;
}

describe('the local sign-in stand-in', () => {
  test('issues the ID and access tokens for the chosen user once, for the right verifier only', async () => {
    const first = await authorize();
    expect(first.status).toBe(302);
    const wrong = await token(codeOf(first), 'another-verifier-of-at-least-forty-three-characters-000');
    await expect(wrong.json()).resolves.toMatchObject({ error: 'invalid_grant', error_description: 'PKCE verification failed.' });

    const code = codeOf(await authorize({ username: 'bob' }));
    const ok = await token(code);
    await expect(ok.json()).resolves.toMatchObject({
      id_token: 'id-token-for-bob',
      access_token: 'access-token-for-bob',
      token_type: 'Bearer',
      expires_in: 3600,
    });
    const reused = await token(code);
    await expect(reused.json()).resolves.toMatchObject({ error: 'invalid_grant' });
  });

  test('refuses another redirect URI, a plain challenge, an unknown client', async () => {
    const refused: Record<string, string>[] = [{ redirect_uri: 'https://evil.example/' }, { code_challenge_method: 'plain' }, { client_id: 'other' }];
    for (const overrides of refused) {
      const response = await authorize(overrides);
      expect(response.status).toBe(400);
    }
    const code = codeOf(await authorize());
    await expect((await token(code, verifier, 'http://127.0.0.1:1/')).json()).resolves.toMatchObject({ error: 'invalid_grant' });
  });
});
