/**
 * The token verifier (lambdas/chat/auth/jwt-verifier.ts: jws.ts, local-key-set.ts, jwt-claims.ts over
 * `node:crypto`) against jose's `jwtVerify` as the oracle: the same tokens, key sets and rules, and the same
 * outcome — the subject, or the status, code and message jose's error maps to (the mapping the functions used
 * when jose verified, kept here as the oracle's). Every algorithm the functions accept, malformed serialisations,
 * `crit`/`b64`, algorithm confusion, key selection (`kid`, `kty`, `crv`, `alg`, `use`, `key_ops`, several
 * matches), unusable keys, and every claim rule. Where the verifier departs from jose on purpose the case says
 * so and both outcomes are pinned, so a change on either side shows.
 */
import { constants, createHmac, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from 'jose';
import { LIMITS } from '../../../../contract/limits';
import { ASYMMETRIC_ALGORITHMS } from '../../../../contract/patterns';
import { unauthorized } from '../../../../lambdas/chat/auth/bearer-token';
import { JWS_ALGORITHMS } from '../../../../lambdas/chat/auth/jws';
import type { JwtAuthConfig } from '../../../../lambdas/chat/auth/jwt-config';
import { createTokenVerifier, type KeyLookup, keySetGetKey } from '../../../../lambdas/chat/auth/jwt-verifier';
import { KeySetUnavailableError, RemoteKeySet } from '../../../../lambdas/chat/auth/remote-key-set';
import { ChatError, internalError } from '../../../../lambdas/chat/http/errors';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'chat-client';
const ALL_ALGORITHMS = ASYMMETRIC_ALGORITHMS;
const now = (): number => Math.floor(Date.now() / 1000);

const config = (overrides: Partial<JwtAuthConfig> = {}): JwtAuthConfig => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: new URL(`${ISSUER}/.well-known/jwks.json`),
  algorithms: ALL_ALGORITHMS,
  requiredClaims: [],
  clockSkewSeconds: 30,
  ...overrides,
});

// Keys: one per algorithm family, and a few a key set should never hold.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaWeak = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed = generateKeyPairSync('ed25519');

const jwk = (key: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...key.export({ format: 'jwk' }), ...extra });
const SET: JSONWebKeySet = {
  keys: [
    jwk(rsa.publicKey, { kid: 'rsa', use: 'sig' }),
    jwk(ec256.publicKey, { kid: 'ec256' }),
    jwk(ec384.publicKey, { kid: 'ec384', alg: 'ES384' }),
    jwk(ec521.publicKey, { kid: 'ec521', key_ops: ['verify'] }),
    jwk(ed.publicKey, { kid: 'ed' }),
  ] as JSONWebKeySet['keys'],
};

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const json = (value: unknown): string => b64url(JSON.stringify(value));

/** The signature `alg` makes with `key` over `input` (node:crypto, so any header or payload can be signed). */
function signature(alg: string, key: KeyObject | Buffer, input: string): Buffer {
  const data = Buffer.from(input);
  const bits = alg.slice(2);
  if (alg.startsWith('HS'))
    return createHmac(`sha${bits}`, key as Buffer)
      .update(data)
      .digest();
  if (alg.startsWith('RS')) return sign(`sha${bits}`, data, key as KeyObject);
  if (alg.startsWith('PS'))
    return sign(`sha${bits}`, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
  if (alg.startsWith('ES')) return sign(`sha${bits}`, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  return sign(null, data, key as KeyObject);
}

const PRIVATE: Record<string, KeyObject> = {
  rsa: rsa.privateKey,
  rsa2: rsa2.privateKey,
  rsaWeak: rsaWeak.privateKey,
  ec256: ec256.privateKey,
  ec384: ec384.privateKey,
  ec521: ec521.privateKey,
  ed: ed.privateKey,
};
const KID_FOR: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES256: 'ec256', ES384: 'ec384', ES512: 'ec521', EdDSA: 'ed' };

/** The claims of a good token: 10 s old, 10 minutes left. */
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'alice',
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now() - 10,
  exp: now() + 600,
  ...extra,
});

interface TokenParts {
  readonly alg?: string;
  /** The protected header (default `{ alg, kid }`), or its encoded text. */
  readonly header?: Record<string, unknown> | string;
  /** The claims (default {@link claims}), or the encoded payload text. */
  readonly payload?: Record<string, unknown> | string;
  /** Which private key signs (default: the one for `alg`); `hmac` signs with the RSA public key's PEM as the secret. */
  readonly key?: string;
  readonly signature?: string;
}

function token(parts: TokenParts = {}): string {
  const alg = parts.alg ?? 'RS256';
  const kidFor = KID_FOR[alg] ?? KID_FOR[alg.slice(0, 2)];
  const header = typeof parts.header === 'string' ? parts.header : json(parts.header ?? { alg, kid: kidFor, typ: 'JWT' });
  const payload = typeof parts.payload === 'string' ? parts.payload : json(parts.payload ?? claims());
  const input = `${header}.${payload}`;
  if (parts.signature !== undefined) return `${input}.${parts.signature}`;
  const key = parts.key === 'hmac' ? Buffer.from(rsa.publicKey.export({ format: 'pem', type: 'spki' })) : PRIVATE[parts.key ?? kidFor ?? 'rsa']!;
  return `${input}.${b64url(signature(alg, key, input))}`;
}

type Outcome = { sub: string } | { status: number; code: string; message: string };

function outcomeOf(error: unknown): Outcome {
  if (error instanceof ChatError) return { status: error.status, code: error.code, message: error.message };
  throw error;
}

/** The functions' key lookup over `jwks`, handed over instead of fetched. */
const lookup = (jwks: JSONWebKeySet): KeyLookup => keySetGetKey(new RemoteKeySet(new URL(`${ISSUER}/.well-known/jwks.json`), async () => jwks));

async function ours(jwt: string, rules: JwtAuthConfig, jwks: JSONWebKeySet): Promise<Outcome> {
  try {
    return { sub: (await createTokenVerifier(rules, lookup(jwks))(jwt)).subject };
  } catch (error) {
    return outcomeOf(error);
  }
}

/** jose's `jwtVerify` with the options and error mapping the functions used with it (Cognito rules aside). */
async function oracle(jwt: string, rules: JwtAuthConfig, jwks: JSONWebKeySet): Promise<Outcome> {
  const local = createLocalJWKSet(jwks);
  // The functions' key lookup: a key set whose key cannot be used is the issuer's problem (503).
  const getKey: JWTVerifyGetKey = async (header, jws) => {
    try {
      return await local(header, jws);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      throw new KeySetUnavailableError('unusable', { cause: error });
    }
  };
  const options: JWTVerifyOptions = {
    issuer: rules.issuer,
    audience: rules.audience,
    algorithms: [...rules.algorithms],
    clockTolerance: rules.clockSkewSeconds,
    requiredClaims: [...new Set(['sub', 'exp', ...rules.requiredClaims])],
    ...(rules.maxTokenAgeSeconds !== undefined ? { maxTokenAge: rules.maxTokenAgeSeconds } : {}),
  };
  try {
    const { payload } = await jwtVerify(jwt, getKey, options);
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject === '' || subject.length > LIMITS.maxSubjectLength) {
      return outcomeOf(
        unauthorized('token_invalid', `The token's subject must be a string of 1-${LIMITS.maxSubjectLength} characters.`, 'invalid_token'),
      );
    }
    return { sub: subject };
  } catch (error) {
    return outcomeOf(joseError(error));
  }
}

/** The functions' mapping of jose's errors (jwt-verifier.ts before it verified with node:crypto). */
function joseError(error: unknown): ChatError {
  if (error instanceof KeySetUnavailableError) {
    return new ChatError(503, 'auth_unavailable', 'The service cannot verify tokens right now. Try again shortly.', {}, error);
  }
  const invalid = (code: Parameters<typeof unauthorized>[0], message: string): ChatError => unauthorized(code, message, 'invalid_token');
  const { claim, reason, code } = error as { claim?: unknown; reason?: unknown; code?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      if (claim === 'iat') return invalid('token_expired', 'The token was issued too long ago for this service. Sign in again.');
      return invalid('token_expired', 'The token has expired.');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return invalid('token_missing_claim', `The token lacks the required claim '${String(claim)}'.`);
      if (claim === 'nbf') return invalid('token_not_yet_valid', 'The token is not valid yet.');
      if (claim === 'iss') return invalid('token_wrong_issuer', 'The token was issued by another issuer.');
      if (claim === 'aud') return invalid('token_wrong_audience', 'The token was not issued for this application.');
      return invalid('token_invalid', `The token's '${String(claim)}' claim is invalid.`);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid('token_unknown_key', "The token's signing key is not one of the issuer's keys.");
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid('token_invalid', "The token's signing algorithm is not accepted.");
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalid('token_invalid', "The token's signature is invalid.");
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return invalid('token_invalid', 'The token is malformed.');
  }
  return internalError(error);
}

interface Case {
  readonly token: () => string;
  readonly rules?: Partial<JwtAuthConfig>;
  readonly jwks?: JSONWebKeySet;
  /** The outcome both must give (a check that the case tests what it says). */
  readonly expected: string;
}

const withKeys = (...keys: Record<string, unknown>[]): JSONWebKeySet => ({ keys: keys as JSONWebKeySet['keys'] });
const noKid = (alg = 'RS256'): Record<string, unknown> => ({ alg });

const CASES: Record<string, Case> = {
  // Every accepted algorithm.
  ...Object.fromEntries(ALL_ALGORITHMS.map((alg) => [`${alg} signed by the issuer's key`, { token: () => token({ alg }), expected: 'sub' }])),
  'no kid, one key of the type': { token: () => token({ header: noKid() }), expected: 'sub' },
  'aud an array holding the audience': { token: () => token({ payload: claims({ aud: ['other', AUDIENCE] }) }), expected: 'sub' },

  // Serialisation.
  'two segments': { token: () => token().split('.').slice(0, 2).join('.'), expected: 'token_invalid' },
  'four segments': { token: () => `${token()}.x`, expected: 'token_invalid' },
  'the header base64 with + and /': { token: () => token({ header: '+/+/' }), expected: 'token_invalid' },
  'the header not JSON': { token: () => token({ header: b64url('{alg:RS256}') }), expected: 'token_invalid' },
  'the header a JSON array': { token: () => token({ header: json(['RS256']) }), expected: 'token_invalid' },
  'the header not UTF-8': { token: () => token({ header: b64url(Buffer.from([0x7b, 0xff, 0x7d])) }), expected: 'token_invalid' },
  'the header 4n+1 characters long': { token: () => token({ header: 'eyJhb' }), expected: 'token_invalid' },
  'the payload not JSON': { token: () => token({ payload: b64url('not json') }), expected: 'token_invalid' },
  'the payload a JSON array': { token: () => token({ payload: json([1]) }), expected: 'token_invalid' },
  'the payload not UTF-8': { token: () => token({ payload: b64url(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])) }), expected: 'token_invalid' },
  'the signature empty': { token: () => token({ signature: '' }), expected: 'token_invalid' },

  // Algorithms.
  'no alg': { token: () => token({ header: { kid: 'rsa' } }), expected: 'token_invalid' },
  'alg empty': { token: () => token({ header: { alg: '', kid: 'rsa' } }), expected: 'token_invalid' },
  'alg none, no signature': { token: () => token({ header: { alg: 'none' }, signature: '' }), expected: 'token_invalid' },
  'HS256 with the public key as the secret (algorithm confusion)': {
    token: () => token({ alg: 'HS256', header: { alg: 'HS256', kid: 'rsa' }, key: 'hmac' }),
    expected: 'token_invalid',
  },
  'RS256 where only ES256 is accepted': { token: () => token(), rules: { algorithms: ['ES256'] }, expected: 'token_invalid' },
  'alg toString (a name every object has)': { token: () => token({ header: { alg: 'toString', kid: 'rsa' } }), expected: 'token_invalid' },
  'ES256 header over an RSA signature': {
    token: () => token({ alg: 'ES256', header: { alg: 'ES256', kid: 'ec256' }, key: 'rsa' }),
    expected: 'token_invalid',
  },

  // crit and b64.
  'crit naming an unknown extension': {
    token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: ['exp'], exp: 1 } }),
    expected: 'token_invalid',
  },
  'crit empty': { token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: [] } }), expected: 'token_invalid' },
  'crit not an array': { token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: 'b64' } }), expected: 'token_invalid' },
  'crit b64 with b64 true': { token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: ['b64'], b64: true } }), expected: 'sub' },
  'crit b64 with b64 false (an unencoded payload)': {
    token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: ['b64'], b64: false } }),
    expected: 'token_invalid',
  },
  'crit b64 without b64': { token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: ['b64'] } }), expected: 'token_invalid' },
  'crit b64 with b64 a string': {
    token: () => token({ header: { alg: 'RS256', kid: 'rsa', crit: ['b64'], b64: 'false' } }),
    expected: 'token_invalid',
  },
  'b64 false without crit (ignored)': { token: () => token({ header: { alg: 'RS256', kid: 'rsa', b64: false } }), expected: 'sub' },

  // Signatures.
  'the payload changed under the signature': {
    token: () => {
      const [header, , sig] = token().split('.');
      return `${header}.${json(claims({ sub: 'mallory' }))}.${sig}`;
    },
    expected: 'token_invalid',
  },
  'signed by a key the set does not hold, under its kid': { token: () => token({ key: 'rsa2' }), expected: 'token_invalid' },
  'an ES256 signature too short': { token: () => token({ alg: 'ES256', signature: b64url(Buffer.alloc(10)) }), expected: 'token_invalid' },
  'a PS256 signature by the RS256 scheme': {
    token: () => {
      const header = json({ alg: 'PS256', kid: 'rsa' });
      const payload = json(claims());
      return `${header}.${payload}.${b64url(signature('RS256', rsa.privateKey, `${header}.${payload}`))}`;
    },
    expected: 'token_invalid',
  },

  // Key selection.
  'an unknown kid': { token: () => token({ header: { alg: 'RS256', kid: 'gone' } }), expected: 'token_unknown_key' },
  'a numeric kid': { token: () => token({ header: { alg: 'RS256', kid: 5 } }), expected: 'token_unknown_key' },
  'the RSA kid under ES256': { token: () => token({ alg: 'ES256', header: { alg: 'ES256', kid: 'rsa' } }), expected: 'token_unknown_key' },
  'the P-256 kid under ES384': {
    token: () => token({ alg: 'ES384', header: { alg: 'ES384', kid: 'ec256' }, key: 'ec256' }),
    expected: 'token_unknown_key',
  },
  'a key whose alg is another': {
    token: () => token({ alg: 'ES256', header: { alg: 'ES256', kid: 'ec384' }, key: 'ec384' }),
    expected: 'token_unknown_key',
  },
  'two RSA keys and no kid': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(rsa.publicKey), jwk(rsa2.publicKey)),
    expected: 'token_unknown_key',
  },
  'a key for encryption (use enc)': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(rsa.publicKey, { use: 'enc' })),
    expected: 'token_unknown_key',
  },
  'key_ops without verify': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(rsa.publicKey, { key_ops: ['encrypt'] })),
    expected: 'token_unknown_key',
  },
  'key_ops with verify twice': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(rsa.publicKey, { key_ops: ['verify', 'verify'] })),
    expected: 'token_unknown_key',
  },
  'ext not a boolean': { token: () => token({ header: noKid() }), jwks: withKeys(jwk(rsa.publicKey, { ext: 'yes' })), expected: 'token_unknown_key' },
  'ext false (allowed)': { token: () => token({ header: noKid() }), jwks: withKeys(jwk(rsa.publicKey, { ext: false })), expected: 'sub' },

  // Keys that cannot be used: the issuer's problem.
  'a private key published': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(createPrivateKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' })))),
    expected: 'auth_unavailable',
  },
  'key_ops verify and sign': {
    token: () => token({ header: noKid() }),
    jwks: withKeys(jwk(rsa.publicKey, { key_ops: ['verify', 'sign'] })),
    expected: 'auth_unavailable',
  },
  'an RSA key without its modulus': {
    token: () => token({ header: noKid() }),
    jwks: withKeys({ kty: 'RSA', e: 'AQAB' }),
    expected: 'auth_unavailable',
  },

  // Claims.
  'no sub': { token: () => token({ payload: claims({ sub: undefined }) }), expected: 'token_missing_claim' },
  'no exp': { token: () => token({ payload: claims({ exp: undefined }) }), expected: 'token_missing_claim' },
  'no iss': { token: () => token({ payload: claims({ iss: undefined }) }), expected: 'token_missing_claim' },
  'no aud': { token: () => token({ payload: claims({ aud: undefined }) }), expected: 'token_missing_claim' },
  'no iss, no sub and no email (the first named is jose’s first)': {
    token: () => token({ payload: claims({ iss: undefined, sub: undefined }) }),
    rules: { requiredClaims: ['email'] },
    expected: 'token_missing_claim',
  },
  'no email, required': { token: () => token(), rules: { requiredClaims: ['email', 'groups'] }, expected: 'token_missing_claim' },
  'another issuer': { token: () => token({ payload: claims({ iss: 'https://evil.example.com' }) }), expected: 'token_wrong_issuer' },
  'iss null': { token: () => token({ payload: claims({ iss: null }) }), expected: 'token_wrong_issuer' },
  'another audience': { token: () => token({ payload: claims({ aud: 'other' }) }), expected: 'token_wrong_audience' },
  'an audience array without ours': { token: () => token({ payload: claims({ aud: ['a', 'b'] }) }), expected: 'token_wrong_audience' },
  'expired beyond the tolerance': { token: () => token({ payload: claims({ exp: now() - 31 }) }), expected: 'token_expired' },
  'expired exactly at the tolerance': { token: () => token({ payload: claims({ exp: now() - 30 }) }), expected: 'token_expired' },
  'expired within the tolerance': { token: () => token({ payload: claims({ exp: now() - 20 }) }), expected: 'sub' },
  'nbf beyond the tolerance': { token: () => token({ payload: claims({ nbf: now() + 60 }) }), expected: 'token_not_yet_valid' },
  'nbf within the tolerance': { token: () => token({ payload: claims({ nbf: now() + 20 }) }), expected: 'sub' },
  'exp a string': { token: () => token({ payload: claims({ exp: String(now() + 600) }) }), expected: 'token_invalid' },
  'iat a string': { token: () => token({ payload: claims({ iat: 'yesterday' }) }), expected: 'token_invalid' },
  'sub empty': { token: () => token({ payload: claims({ sub: '' }) }), expected: 'token_invalid' },
  'sub a number': { token: () => token({ payload: claims({ sub: 42 }) }), expected: 'token_invalid' },
  'sub too long': { token: () => token({ payload: claims({ sub: 'x'.repeat(LIMITS.maxSubjectLength + 1) }) }), expected: 'token_invalid' },
  'max age: no iat': {
    token: () => token({ payload: claims({ iat: undefined }) }),
    rules: { maxTokenAgeSeconds: 600 },
    expected: 'token_missing_claim',
  },
  'max age: issued too long ago': {
    token: () => token({ payload: claims({ iat: now() - 700 }) }),
    rules: { maxTokenAgeSeconds: 600 },
    expected: 'token_expired',
  },
  'max age: issued within it and its tolerance': {
    token: () => token({ payload: claims({ iat: now() - 620 }) }),
    rules: { maxTokenAgeSeconds: 600 },
    expected: 'sub',
  },
  'max age: issued in the future': {
    token: () => token({ payload: claims({ iat: now() + 60 }) }),
    rules: { maxTokenAgeSeconds: 600 },
    expected: 'token_invalid',
  },
};

test('every algorithm JWT_ALGORITHMS may name has a verification rule, and nothing else has', () => {
  expect(Object.keys(JWS_ALGORITHMS).sort()).toEqual([...ASYMMETRIC_ALGORITHMS].sort());
});

describe('the same outcome as jose for the same token, keys and rules', () => {
  test.each(Object.entries(CASES))('%s', async (_name, { token: make, rules, jwks, expected }) => {
    const jwt = make();
    const [mine, jose] = await Promise.all([ours(jwt, config(rules), jwks ?? SET), oracle(jwt, config(rules), jwks ?? SET)]);
    expect(mine).toEqual(jose);
    expect('sub' in mine ? 'sub' : mine.code).toBe(expected);
  });
});

describe('where the verifier departs from jose, on purpose', () => {
  test('a non-numeric nbf is an invalid claim (jose names the claim, and the old mapping read any nbf failure as not yet valid)', async () => {
    const jwt = token({ payload: claims({ nbf: 'soon' }) });
    expect(await ours(jwt, config(), SET)).toMatchObject({ status: 401, code: 'token_invalid', message: "The token's 'nbf' claim is invalid." });
    expect(await oracle(jwt, config(), SET)).toMatchObject({ status: 401, code: 'token_not_yet_valid' });
  });

  test('an RSA key under 2048 bits is the issuer’s problem, 503 (jose throws a TypeError when verifying: it was a 500)', async () => {
    const jwt = token({ header: noKid(), key: 'rsaWeak' });
    const weak = withKeys(jwk(rsaWeak.publicKey));
    expect(await ours(jwt, config(), weak)).toMatchObject({ status: 503, code: 'auth_unavailable' });
    expect(await oracle(jwt, config(), weak)).toMatchObject({ status: 500, code: 'internal_error' });
  });

  test('padding in a segment is refused (RFC 7515 §2: base64url without padding; jose decodes it on Node 20)', async () => {
    const good = token();
    const padded = `${good}${'='.repeat((4 - (good.split('.')[2]!.length % 4)) % 4 || 4)}`;
    expect(await ours(padded, config(), SET)).toMatchObject({ status: 401, code: 'token_invalid' });
    expect(await ours(good, config(), SET)).toEqual({ sub: 'alice' });
  });
});

test('a refusal carries the reason for the log, never a part of the token', async () => {
  const jwt = token({ payload: claims({ iss: 'https://evil.example.com' }) });
  const error = await createTokenVerifier(config(), lookup(SET))(jwt).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ChatError);
  const cause = (error as Error).cause as Error;
  expect(cause.name).toBe('JWTClaimValidationFailed');
  for (const part of jwt.split('.')) expect(`${cause.message} ${(error as Error).message}`).not.toContain(part);
});
