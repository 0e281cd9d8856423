/**
 * The issuer's JWKS, fetched on first use and cached, for jose to verify tokens against (jwt-verifier.ts).
 *
 * Fetched with a plain `node:https` GET rather than jose's `createRemoteJWKSet`, which fetches through the global
 * `fetch`: that loads and compiles undici on the first request of every cold start (measured: README, Performance).
 * jose still selects and imports the key (`createLocalJWKSet`) and verifies; the caching rules are jose's remote key
 * set's:
 * - the keys are fetched on first use and refetched once older than {@link JWKS_CACHE_MAX_AGE_MS};
 * - a token whose `kid` is not in the set makes them refetch once, unless they were fetched within
 *   {@link JWKS_COOLDOWN_MS}, so a rotated key verifies without a cold start and a flood of made-up `kid`s
 *   cannot hammer the issuer; concurrent requests share one fetch;
 * - a fetch that does not answer 200 with a key set within {@link JWKS_TIMEOUT_MS} fails with
 *   {@link KeySetUnavailableError} (503 `auth_unavailable`: our dependency failing); an unknown `kid` stays
 *   jose's `JWKSNoMatchingKey` (the token's problem, not the issuer's).
 */
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isError } from '../core/log';

/** A JWKS request that takes longer fails (503): the caller should not wait for a hung issuer. */
export const JWKS_TIMEOUT_MS = 3_000;
/** At most one refetch for unknown `kid`s in this period. */
export const JWKS_COOLDOWN_MS = 30_000;
/** Keys are refetched after this even when every `kid` is known (a revoked key stops verifying). */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/** A key set larger than this is not one (Cognito's is about 2 KB). */
const MAX_JWKS_BYTES = 512 * 1024;

/** The JWKS could not be fetched or used; the cause says why (timeout, refused, status, not a key set). */
export class KeySetUnavailableError extends Error {
  public readonly name = 'KeySetUnavailableError';
}

/** The issuer's keys at `uri`, fetched lazily (nothing happens until the first token is verified). */
export function remoteKeySet(uri: URL, fetchKeySet: (uri: URL) => Promise<unknown> = getJson): JWTVerifyGetKey {
  interface FetchedKeys {
    readonly getKey: JWTVerifyGetKey;
    readonly fetchedAt: number;
  }
  let local: FetchedKeys | undefined;
  let pending: Promise<FetchedKeys> | undefined;
  const reload = (): Promise<FetchedKeys> => {
    pending ??= fetchKeySet(uri)
      .then((keySet) => {
        local = { getKey: createLocalJWKSet(keySet as JSONWebKeySet), fetchedAt: Date.now() };
        return local;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return async (protectedHeader, token) => {
    try {
      const keys = local && Date.now() < local.fetchedAt + JWKS_CACHE_MAX_AGE_MS ? local : await reload();
      try {
        return await keys.getKey(protectedHeader, token);
      } catch (error) {
        if (joseCode(error) !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        // Refetched meanwhile (a concurrent request): that set, without another fetch.
        if (local && local !== keys) return await local.getKey(protectedHeader, token);
        if (Date.now() < keys.fetchedAt + JWKS_COOLDOWN_MS) throw error;
        return await (await reload()).getKey(protectedHeader, token);
      }
    } catch (error) {
      const code = joseCode(error);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
      const detail = isError(error) ? `${error.name}: ${error.message}${causeText(error)}` : String(error);
      throw new KeySetUnavailableError(`The JWKS at ${uri.origin}${uri.pathname} could not be used (${detail})`, { cause: error });
    }
  };
}

export function joseCode(error: unknown): string | undefined {
  const code = isError(error) ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** `connect ECONNREFUSED …`, a timeout: the cause says why. */
function causeText(error: Error): string {
  const cause = (error as Error & { cause?: unknown }).cause;
  return isError(cause) ? ` <- ${cause.name}: ${cause.message}${causeText(cause)}` : '';
}

/**
 * GETs `uri` and parses its JSON body: 200 only, within {@link JWKS_TIMEOUT_MS} for the whole exchange. `node:http`
 * (a local issuer) is loaded on first use only, not as a module import (aws/https-caller.ts says why).
 */
function getJson(uri: URL): Promise<unknown> {
  const client = (uri.protocol === 'https:' ? https : process.getBuiltinModule('node:http')) as Pick<typeof https, 'get'>;
  return new Promise((resolve, reject) => {
    const req = client.get(uri, { headers: { accept: 'application/json' } });
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${JWKS_TIMEOUT_MS} ms`), { name: 'JWKSTimeout' })),
      JWKS_TIMEOUT_MS,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        clearTimeout(timer);
        reject(new Error(`Expected 200 OK from the JSON Web Key Set HTTP response, got ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_JWKS_BYTES) req.destroy(new Error(`The JSON Web Key Set is larger than ${MAX_JWKS_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', () => undefined); // the request's error handler reports it
      res.on('end', () => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('The JSON Web Key Set HTTP response is not JSON'));
        }
      });
    });
  });
}
