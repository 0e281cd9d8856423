/**
 * The issuer's JWKS, fetched when first needed and cached, to verify tokens against (jwt-verifier.ts
 * `keySetGetKey` selects a token's key in a fetched set, local-key-set.ts).
 *
 * Fetched with a plain `node:https` GET rather than through the global `fetch` (as jose's `createRemoteJWKSet`
 * does), which loads and compiles undici on the first request of every cold start (measured: README,
 * Performance). An invocation starts the fetch as it starts ({@link RemoteKeySet.prefetch},
 * entry/clients/preconnect.ts). The caching rules are jose's remote key set's:
 * - the set is fetched when first needed and refetched once older than {@link JWKS_CACHE_MAX_AGE_MS};
 * - a token whose `kid` is not in the set makes it refetch once, unless it was fetched within
 *   {@link JWKS_COOLDOWN_MS}, so a rotated key verifies without a cold start and a flood of made-up `kid`s
 *   cannot hammer the issuer; concurrent requests share one fetch;
 * - a fetch that does not answer 200 with a key set within {@link JWKS_TIMEOUT_MS} fails (the verifier makes it
 *   {@link KeySetUnavailableError}: 503 `auth_unavailable`, our dependency failing); a failed fetch is not cached.
 */
import type { IncomingMessage } from 'node:http';
import { httpModuleFor } from '../aws/https-caller';
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

/** A fetched key set: the issuer's JSON (checked to be a key set) and when it arrived. */
export interface FetchedKeySet {
  readonly jwks: { readonly keys: readonly object[] };
  readonly fetchedAt: number;
}

/** The issuer's key set at `uri`; nothing is fetched until a request needs it or an invocation prefetches it. */
export class RemoteKeySet {
  private fetched: FetchedKeySet | undefined;
  private pending: Promise<FetchedKeySet> | undefined;

  constructor(
    readonly uri: URL,
    private readonly fetchJson: (uri: URL) => Promise<unknown> = getJson,
  ) {}

  /** Starts fetching the set when none is cached fresh (nor being fetched); a failure is left to the next request's own fetch. */
  prefetch(): void {
    if (!this.isFresh()) this.reload().catch(() => undefined);
  }

  /** The set to verify with: the cached one while fresh, else a fetch (shared by concurrent callers). */
  current(): Promise<FetchedKeySet> {
    return this.fetched && this.isFresh() ? Promise.resolve(this.fetched) : this.reload();
  }

  /**
   * After a token's `kid` was not in `seen`: the set fetched since, or a new fetch, or undefined when `seen` was
   * fetched within the cooldown (the token's key is unknown).
   */
  async refetch(seen: FetchedKeySet): Promise<FetchedKeySet | undefined> {
    if (this.fetched && this.fetched !== seen) return this.fetched;
    if (Date.now() < seen.fetchedAt + JWKS_COOLDOWN_MS) return undefined;
    return this.reload();
  }

  private isFresh(): boolean {
    return this.fetched !== undefined && Date.now() < this.fetched.fetchedAt + JWKS_CACHE_MAX_AGE_MS;
  }

  private reload(): Promise<FetchedKeySet> {
    this.pending ??= this.fetchJson(this.uri)
      .then((json) => {
        if (!isKeySet(json)) throw Object.assign(new Error('JSON Web Key Set malformed'), { name: 'JWKSInvalid', code: 'ERR_JWKS_INVALID' });
        this.fetched = { jwks: json, fetchedAt: Date.now() };
        return this.fetched;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

/** What jose accepts as a key set: an object whose `keys` is an array of objects. */
function isKeySet(json: unknown): json is FetchedKeySet['jwks'] {
  const keys = (json as { keys?: unknown } | null)?.keys;
  return typeof json === 'object' && Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key));
}

/** The key set could not be fetched or used: `detail` says why (refused, timeout, status, not a key set). */
export function keySetUnavailable(uri: URL, error: unknown): KeySetUnavailableError {
  const detail = isError(error) ? `${error.name}: ${error.message}${causeText(error)}` : String(error);
  return new KeySetUnavailableError(`The JWKS at ${uri.origin}${uri.pathname} could not be used (${detail})`, { cause: error });
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
  const client = httpModuleFor(uri);
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
