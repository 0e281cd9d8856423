/**
 * A local token issuer for the JWT modes, in `npm run local -- --mode jwt` and in tests: RSA key pairs
 * generated at start (nothing is read from or written to disk), a JWKS served over HTTP on 127.0.0.1, and
 * signed tokens for any claims.
 *
 * Keys can be created unpublished and published later (key rotation), every JWKS request is counted,
 * and the endpoint can be made to fail (`fault`) to exercise the function's `auth_unavailable` path.
 * NOT an identity provider: there are no users, passwords or OAuth flows, only keys and signatures.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export const JWKS_PATH = '/.well-known/jwks.json';

export interface LocalSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * How the JWKS endpoint misbehaves: `status500` answers 500, `notJson` answers 200 with HTML, `hang`
 * never answers (the client's timeout must fire). `none` serves the published keys.
 */
export type JwksFault = 'none' | 'status500' | 'notJson' | 'hang';

export interface SignOptions {
  /** @default the issuer's current key */
  readonly key?: LocalSigningKey;
  /** Seconds from now; negative for an expired token. @default 3600 */
  readonly expiresInSeconds?: number;
  /** Seconds from now for `nbf`. @default - no `nbf` */
  readonly notBeforeInSeconds?: number;
  /** @default the issuer's `issuer` */
  readonly issuer?: string;
  /** @default the issuer's `audience` */
  readonly audience?: string | string[];
  /** Claims to leave out of the defaults (`iss`, `aud`, `sub`, `exp`, `iat`). */
  readonly omit?: readonly string[];
}

export interface LocalJwtIssuer {
  /** The `iss` of the tokens: the server's origin. */
  readonly issuer: string;
  readonly audience: string;
  /** `http://127.0.0.1:PORT/.well-known/jwks.json` */
  readonly jwksUri: string;
  /** How many times the JWKS was requested. */
  readonly jwksRequests: number;
  /** The key `sign` uses by default (published). */
  readonly currentKey: LocalSigningKey;
  fault: JwksFault;
  /** A new key pair; published (in the JWKS) only when asked. */
  createKey(options?: { publish?: boolean; alg?: 'RS256' | 'ES256' }): Promise<LocalSigningKey>;
  publish(key: LocalSigningKey): void;
  /** Makes `key` the default signing key (publishing it). */
  rotateTo(key: LocalSigningKey): void;
  /** A token with `iss`, `aud`, `iat`, `exp` (1 h) and the given claims (which win), signed with `kid` in the header. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

export interface LocalJwtIssuerOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 'local-chat-client' */
  readonly audience?: string;
}

export async function startLocalJwtIssuer(options: LocalJwtIssuerOptions = {}): Promise<LocalJwtIssuer> {
  const published: LocalSigningKey[] = [];
  let jwksRequests = 0;
  let fault: JwksFault = 'none';
  const hanging = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== JWKS_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    jwksRequests++;
    if (fault === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault === 'status500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    if (fault === 'notJson') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const audience = options.audience ?? 'local-chat-client';

  const createKey = async ({ publish = false, alg = 'RS256' }: { publish?: boolean; alg?: 'RS256' | 'ES256' } = {}): Promise<LocalSigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = randomUUID();
    const key: LocalSigningKey = { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    if (publish) published.push(key);
    return key;
  };
  const publish = (key: LocalSigningKey): void => {
    if (!published.includes(key)) published.push(key);
  };
  let currentKey = await createKey({ publish: true });

  return {
    issuer,
    audience,
    jwksUri: `${issuer}${JWKS_PATH}`,
    get jwksRequests() {
      return jwksRequests;
    },
    get currentKey() {
      return currentKey;
    },
    get fault() {
      return fault;
    },
    set fault(value: JwksFault) {
      fault = value;
    },
    createKey,
    publish,
    rotateTo: (key) => {
      publish(key);
      currentKey = key;
    },
    sign: async (claims, signOptions = {}) => {
      const key = signOptions.key ?? currentKey;
      const nowSeconds = Math.floor(Date.now() / 1000);
      const defaults: JWTPayload = {
        iss: signOptions.issuer ?? issuer,
        aud: signOptions.audience ?? audience,
        iat: nowSeconds,
        exp: nowSeconds + (signOptions.expiresInSeconds ?? 3600),
        ...(signOptions.notBeforeInSeconds !== undefined ? { nbf: nowSeconds + signOptions.notBeforeInSeconds } : {}),
      };
      const payload: JWTPayload = { ...defaults, ...claims };
      for (const name of signOptions.omit ?? []) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
