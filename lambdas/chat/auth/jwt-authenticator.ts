/**
 * `CHAT_AUTH_MODE=jwt`: the request carries a bearer token (bearer-token.ts), verified against the issuer's
 * keys (jwt-verifier.ts, the JWKS from remote-key-set.ts) before any other work; the caller is the token's subject.
 */
import type { Authenticator } from './authenticator';
import { bearerToken } from './bearer-token';
import { jwtCaller } from './caller';
import type { JwtAuthConfig } from './jwt-config';
import { createTokenVerifier, type KeyLookup, keySetGetKey } from './jwt-verifier';
import { RemoteKeySet } from './remote-key-set';

/** `keys`: the issuer's JWKS (by default the one at `config.jwksUri`, fetched when first needed and cached), or a key lookup. */
export function jwtAuthenticator(config: JwtAuthConfig, keys: RemoteKeySet | KeyLookup = new RemoteKeySet(config.jwksUri)): Authenticator {
  const verifyToken = createTokenVerifier(config, keys instanceof RemoteKeySet ? keySetGetKey(keys) : keys);
  return {
    method: 'jwt',
    authenticate: async (event) => jwtCaller((await verifyToken(bearerToken(event))).subject),
  };
}
