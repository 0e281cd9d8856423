/**
 * Token verification of the stored-chat mode, through the REAL entry module (real jose, real SDK clients) behind
 * the Function-URL-like server, with keys generated at test time and served from a local JWKS on 127.0.0.1.
 *
 * Every refused token must cost nothing: no DynamoDB call at all (checked on a recording proxy in front of
 * dynalite, and no rate-limit item written) and no Bedrock call (the emulator's requests).
 */
import { exportSPKI, SignJWT } from 'jose';
import type { LocalSigningKey } from '../../../../../tools/local/jwt-issuer';
import { type JwtChatStack, startJwtChatStack } from '../../../../support/jwt-services';
import type { ChatHttpResponse } from '../../../../support/local-services';
import { closedPort } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const logs = useLogCapture();
let stack: JwtChatStack;
/** Every token sent in this file, and every log line written: no token may reach a log line. */
const sentTokens: string[] = [];
const logText: string[] = [];
afterEach(() => logText.push(logs.text()));

let ecKey: LocalSigningKey;

beforeAll(async () => {
  stack = await startJwtChatStack({ requiredClaims: ['email'], emulator: { tokenDelayMs: 1, answer: 'fine thanks' } });
  // Published before the function first fetches the JWKS (a key published later is only seen after the cooldown).
  ecKey = await stack.issuer.createKey({ alg: 'ES256', publish: true });
});

afterAll(() => stack.close());

beforeEach(() => {
  stack.emulator.reset();
  stack.dynamo.calls.length = 0;
});

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function send(token: string | undefined, headers: Record<string, string> = {}): Promise<ChatHttpResponse> {
  if (token !== undefined) sentTokens.push(token);
  return stack.request('POST', '/chat', {
    body: { prompt: 'Hello' },
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

/** 401 with the code, the challenge, and no DynamoDB or Bedrock call (nor rate-limit item). */
async function expectRefused(response: ChatHttpResponse, code: string, challenge: RegExp): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
  expect(response.headers['www-authenticate']).toMatch(challenge);
  expect(stack.dynamo.calls).toEqual([]);
  expect(stack.emulator.requests).toEqual([]);
  expect(await stack.scan(stack.tables.rateLimit)).toEqual([]);
}

const INVALID_TOKEN = /^Bearer realm="chat", error="invalid_token", error_description="[^"\\]+"$/;

describe('refused before any other work: 401, stable code, WWW-Authenticate, no DynamoDB or Bedrock call', () => {
  test('no token → token_missing, a bare challenge (RFC 6750 §3.1: no error code without credentials)', async () => {
    const response = await send(undefined);
    await expectRefused(response, 'token_missing', /^Bearer realm="chat"$/);
  });

  test('another scheme (Basic) counts as no token', async () => {
    await expectRefused(await send(undefined, { authorization: 'Basic YWxpY2U6c2VjcmV0' }), 'token_missing', /^Bearer realm="chat"$/);
  });

  test('malformed token → token_invalid', async () => {
    await expectRefused(await send('not-a-jwt'), 'token_invalid', INVALID_TOKEN);
    await expectRefused(await send('abc.def.ghi'), 'token_invalid', INVALID_TOKEN);
    await expectRefused(await send(undefined, { authorization: 'Bearer ' }), 'token_invalid', INVALID_TOKEN);
  });

  test('expired (beyond the 30 s clock skew) → token_expired', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { expiresInSeconds: -60 });
    await expectRefused(await send(token), 'token_expired', INVALID_TOKEN);
  });

  test('not yet valid (nbf beyond the skew) → token_not_yet_valid', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { notBeforeInSeconds: 300 });
    await expectRefused(await send(token), 'token_not_yet_valid', INVALID_TOKEN);
  });

  test('wrong issuer → token_wrong_issuer', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { issuer: 'https://evil.example.com' });
    await expectRefused(await send(token), 'token_wrong_issuer', INVALID_TOKEN);
  });

  test('wrong audience → token_wrong_audience', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { audience: ['another-app'] });
    await expectRefused(await send(token), 'token_wrong_audience', INVALID_TOKEN);
  });

  test('unknown kid (a key the issuer never published) → token_unknown_key', async () => {
    const stranger = await stack.issuer.createKey();
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { key: stranger });
    await expectRefused(await send(token), 'token_unknown_key', INVALID_TOKEN);
  });

  test('alg: none (unsigned) → token_invalid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: stack.issuer.issuer, aud: stack.issuer.audience, sub: 'mallory', email: 'm@example.com', iat: now, exp: now + 600 };
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    await expectRefused(await send(token), 'token_invalid', INVALID_TOKEN);
  });

  test('HS256 signed with the public key as the HMAC secret (algorithm confusion) → token_invalid', async () => {
    const publicPem = await exportSPKI(stack.issuer.currentKey.publicKey);
    const token = await new SignJWT({ sub: 'mallory', email: 'm@example.com' })
      .setProtectedHeader({ alg: 'HS256', kid: stack.issuer.currentKey.kid })
      .setIssuer(stack.issuer.issuer)
      .setAudience(stack.issuer.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    await expectRefused(await send(token), 'token_invalid', INVALID_TOKEN);
  });

  test('tampered payload (sub changed, signature kept) → token_invalid', async () => {
    const [header, payload, signature] = (await stack.token('alice')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${b64url({ ...claims, sub: 'admin' })}.${signature}`;
    await expectRefused(await send(tampered), 'token_invalid', INVALID_TOKEN);
  });

  test('a required claim missing (JWT_REQUIRED_CLAIMS=email) → token_missing_claim', async () => {
    const token = await stack.issuer.sign({ sub: 'alice' });
    const response = await send(token);
    await expectRefused(response, 'token_missing_claim', INVALID_TOKEN);
    expect(response.json<{ error: { message: string } }>().error.message).toContain('email');
  });

  test('no sub (always required) → token_missing_claim', async () => {
    const token = await stack.issuer.sign({ email: 'a@example.com' });
    await expectRefused(await send(token), 'token_missing_claim', INVALID_TOKEN);
  });

  test('two different tokens (Authorization and id_token) → token_invalid with error="invalid_request"', async () => {
    const [a, b] = await Promise.all([stack.token('alice'), stack.token('bob')]);
    const response = await send(a, { id_token: b });
    await expectRefused(response, 'token_invalid', /^Bearer realm="chat", error="invalid_request", error_description="[^"]+"$/);
  });

  test('every route refuses alike, known or not (nothing is learnt without a token)', async () => {
    for (const [method, path] of [
      ['GET', '/chats'],
      ['GET', '/chats/x'],
      ['DELETE', '/chats/x'],
      ['GET', '/nowhere'],
      ['PUT', '/chat'],
    ] as const) {
      const response = await stack.request(method, path);
      await expectRefused(response, 'token_missing', /^Bearer realm="chat"$/);
    }
  });
});

describe('accepted tokens', () => {
  test('Authorization: Bearer, or the id_token header of older clients: the same subject', async () => {
    const token = await stack.token('alice');
    sentTokens.push(token);
    const viaBearer = await stack.request('GET', '/chats', { token });
    const viaIdToken = await stack.request('GET', '/chats', { headers: { id_token: token } });
    expect([viaBearer.status, viaIdToken.status]).toEqual([200, 200]);
  });

  test('an expiry within the clock skew is tolerated', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { expiresInSeconds: -10 });
    sentTokens.push(token);
    expect((await stack.request('GET', '/chats', { token })).status).toBe(200);
  });

  test('an ES256 key of the JWKS verifies too (JWT_ALGORITHMS=RS256,ES256)', async () => {
    const token = await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { key: ecKey });
    sentTokens.push(token);
    expect((await stack.request('GET', '/chats', { token })).status).toBe(200);
  });
});

describe('JWKS refetch on an unknown kid (jose cooldown 30 s; the clock is moved instead of waited for)', () => {
  let offsetMs = 0;
  let clock: jest.SpyInstance<number, []>;
  beforeEach(() => {
    offsetMs = 0;
    const realNow = Date.now.bind(Date);
    clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  });
  afterEach(() => clock.mockRestore());

  test('exactly one refetch per unknown kid after the cooldown; a rotated key then verifies; a burst refetches nothing', async () => {
    const get = async (token: string): Promise<number> => {
      sentTokens.push(token);
      return (await stack.request('GET', '/chats', { token })).status;
    };
    expect(await get(await stack.token('alice'))).toBe(200); // keys cached (fetched earlier in this file, or now)
    const fetchedBefore = stack.issuer.jwksRequests;

    // The issuer rotates: a new key signs new tokens. Past the cooldown, its first token triggers ONE refetch.
    offsetMs += 31_000;
    const rotated = await stack.issuer.createKey();
    stack.issuer.rotateTo(rotated);
    expect(await get(await stack.token('alice'))).toBe(200);
    expect(stack.issuer.jwksRequests).toBe(fetchedBefore + 1);

    // A kid nobody published, right after that refetch: within the cooldown, no refetch at all.
    const stranger = await stack.issuer.createKey();
    expect(await get(await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { key: stranger }))).toBe(401);
    expect(stack.issuer.jwksRequests).toBe(fetchedBefore + 1);

    // Past the cooldown: exactly one refetch, still unknown → 401 token_unknown_key.
    offsetMs += 31_000;
    expect(await get(await stack.issuer.sign({ sub: 'alice', email: 'a@example.com' }, { key: stranger }))).toBe(401);
    expect(stack.issuer.jwksRequests).toBe(fetchedBefore + 2);

    // A burst of made-up kids cannot hammer the issuer.
    const burst = await Promise.all(Array.from({ length: 5 }, async () => get(await stack.issuer.sign({ sub: 'alice' }, { key: stranger }))));
    expect(burst).toEqual([401, 401, 401, 401, 401]);
    expect(stack.issuer.jwksRequests).toBe(fetchedBefore + 2);
  });
});

describe('the JWKS cannot be used → 503 auth_unavailable, not 401 or 500', () => {
  test('unreachable (nothing listens) → 503, no DynamoDB or Bedrock call', async () => {
    const unreachable = await startJwtChatStack({ jwksUri: `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json` });
    try {
      const token = await unreachable.token('alice');
      sentTokens.push(token);
      const response = await unreachable.request('POST', '/chat', { token, body: { prompt: 'Hello' } });
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({ error: { code: 'auth_unavailable', message: expect.any(String) } });
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(unreachable.dynamo.calls).toEqual([]);
      expect(unreachable.emulator.requests).toEqual([]);
      const line = logs.json().find((l) => l.outcome === 'auth_unavailable');
      expect(line).toMatchObject({ level: 'error', status: 503, errorName: 'KeySetUnavailableError' });
      expect(line!.errorMessage).toMatch(/ECONNREFUSED/);
    } finally {
      await unreachable.close();
    }
  });

  test('500, not JSON, or no answer within 3 s → 503 each time; the next good answer is used', async () => {
    const flaky = await startJwtChatStack();
    try {
      const token = await flaky.token('alice');
      sentTokens.push(token);
      const statusWith = async (fault: typeof flaky.issuer.fault): Promise<number> => {
        flaky.issuer.fault = fault;
        const response = await flaky.request('GET', '/chats', { token });
        if (response.status !== 200) expect(response.json<{ error: { code: string } }>().error.code).toBe('auth_unavailable');
        return response.status;
      };
      expect(await statusWith('status500')).toBe(503);
      expect(await statusWith('notJson')).toBe(503);
      const started = Date.now();
      expect(await statusWith('hang')).toBe(503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
      expect(await statusWith('none')).toBe(200);
      expect(flaky.dynamo.calls.filter((call) => call.table === flaky.tables.history)).toEqual([
        { operation: 'Query', table: flaky.tables.history, index: 'byUpdated' },
      ]);
    } finally {
      await flaky.close();
    }
  });
});

/**
 * A function accepting Cognito tokens of `use`, for the describe block it is called in. Each starts when its block
 * does: a function's clients read the local endpoints from the environment at their first call.
 */
function useCognitoStack(use: 'any' | 'access' | 'id') {
  let cognito: JwtChatStack;
  beforeAll(async () => {
    cognito = await startJwtChatStack({ cognitoTokenUse: use });
  });
  afterAll(() => cognito.close());

  return {
    /** What the function answers to a token with these claims (and none of `omit`). */
    async statusOf(claims: Record<string, unknown>, omit: string[] = []): Promise<{ status: number; code?: string }> {
      const token = await cognito.issuer.sign({ sub: 'carol', ...claims }, { omit });
      sentTokens.push(token);
      const response = await cognito.request('GET', '/chats', { token });
      return response.status === 200 ? { status: 200 } : { status: response.status, code: response.json<{ error: { code: string } }>().error.code };
    },
    /** Cognito's two tokens of the app client the function trusts: an ID token names it in `aud`, an access token in `client_id`. */
    idToken: () => ({ token_use: 'id', aud: cognito.issuer.audience }),
    accessToken: () => ({ token_use: 'access', client_id: cognito.issuer.audience }),
    audience: () => cognito.issuer.audience,
  };
}

describe('Cognito user pool tokens, either kind (JWT_COGNITO_TOKEN_USE=any)', () => {
  const { statusOf, idToken, accessToken } = useCognitoStack('any');

  test('an ID token: token_use id, aud = the app client', async () => {
    expect(await statusOf(idToken())).toEqual({ status: 200 });
  });

  test('an access token: token_use access, client_id = the app client, no aud', async () => {
    expect(await statusOf(accessToken(), ['aud'])).toEqual({ status: 200 });
  });

  test('an access token of another app client → token_wrong_audience', async () => {
    expect(await statusOf({ token_use: 'access', client_id: 'other-client' }, ['aud'])).toEqual({ status: 401, code: 'token_wrong_audience' });
  });

  test('an ID token of another app client → token_wrong_audience', async () => {
    expect(await statusOf({ token_use: 'id', aud: 'other-client' })).toEqual({ status: 401, code: 'token_wrong_audience' });
  });

  test('no token_use → token_missing_claim; another token_use → token_wrong_type', async () => {
    expect(await statusOf({})).toEqual({ status: 401, code: 'token_missing_claim' });
    expect(await statusOf({ token_use: 'refresh' })).toEqual({ status: 401, code: 'token_wrong_type' });
  });
});

describe('Cognito access tokens only (JWT_COGNITO_TOKEN_USE=access, what ChatAuth.cognito sets by default)', () => {
  const { statusOf, idToken, accessToken, audience } = useCognitoStack('access');

  test('an access token of the app client is accepted; an ID token of the same client → token_wrong_type', async () => {
    expect(await statusOf(accessToken(), ['aud'])).toEqual({ status: 200 });
    expect(await statusOf(idToken())).toEqual({ status: 401, code: 'token_wrong_type' });
  });

  test('the client is client_id, never aud: another client_id, or none, → token_wrong_audience', async () => {
    expect(await statusOf({ token_use: 'access', client_id: 'other-client' }, ['aud'])).toEqual({ status: 401, code: 'token_wrong_audience' });
    // An `aud` naming the client does not stand in for client_id.
    expect(await statusOf({ token_use: 'access', aud: audience() })).toEqual({ status: 401, code: 'token_wrong_audience' });
    expect(await statusOf({ token_use: 'access', aud: audience(), client_id: 'other-client' })).toEqual({
      status: 401,
      code: 'token_wrong_audience',
    });
  });
});

describe('Cognito ID tokens only (JWT_COGNITO_TOKEN_USE=id)', () => {
  const { statusOf, idToken, accessToken } = useCognitoStack('id');

  test('an ID token of the app client is accepted; an access token of the same client → token_wrong_type', async () => {
    expect(await statusOf(idToken())).toEqual({ status: 200 });
    expect(await statusOf(accessToken(), ['aud'])).toEqual({ status: 401, code: 'token_wrong_type' });
  });
});

describe('maxTokenAge (JWT_MAX_TOKEN_AGE_SECONDS=600, 30 s clock skew): tokens issued longer ago are refused', () => {
  let aged: JwtChatStack;
  beforeAll(async () => {
    aged = await startJwtChatStack({ environment: { JWT_MAX_TOKEN_AGE_SECONDS: '600' } });
  });
  afterAll(() => aged.close());

  /** A token issued `ageSeconds` ago (or without `iat`), valid for another hour whatever its age. */
  async function sendAged(ageSeconds: number | undefined): Promise<ChatHttpResponse> {
    const now = Math.floor(Date.now() / 1000);
    const token = await aged.issuer.sign(
      { sub: 'dave', ...(ageSeconds !== undefined ? { iat: now - ageSeconds } : {}) },
      ageSeconds === undefined ? { omit: ['iat'] } : {},
    );
    sentTokens.push(token);
    return aged.request('GET', '/chats', { token });
  }
  const codeOf = (response: ChatHttpResponse) => response.json<{ error: { code: string } }>().error.code;

  test('a token younger than the limit (its skew included) is accepted', async () => {
    expect((await sendAged(60)).status).toBe(200);
    expect((await sendAged(600 + 15)).status).toBe(200);
  });

  test('a token older than the limit, though its exp is an hour away → 401 token_expired, nothing else done', async () => {
    aged.dynamo.calls.length = 0;
    const response = await sendAged(600 + 30 + 60);
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'token_expired', message: expect.stringMatching(/issued too long ago/) } });
    expect(response.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    expect(aged.dynamo.calls).toEqual([]);
  });

  test('a token without iat → 401 token_missing_claim', async () => {
    const response = await sendAged(undefined);
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('token_missing_claim');
  });

  test('a token issued in the future (beyond the skew) → 401 token_invalid', async () => {
    const response = await sendAged(-300);
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('token_invalid');
  });

  test('without the variable, age alone refuses nothing (the same old token is accepted)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await stack.issuer.sign({ sub: 'dave', email: 'd@example.com', iat: now - 7200 });
    sentTokens.push(token);
    expect((await stack.request('GET', '/chats', { token })).status).toBe(200);
  });
});

describe('logs', () => {
  test('one line per request with the outcome; never a token, whole or in part', () => {
    // Runs last: every request of this file has been logged by now.
    expect(sentTokens.length).toBeGreaterThan(20);
    const text = logText.join('\n');
    expect(text).toContain('"event":"chat_request"');
    for (const token of sentTokens) {
      expect(text).not.toContain(token);
      const signature = token.split('.')[2];
      if (signature) expect(text).not.toContain(signature);
    }
  });
});
