/**
 * One fetched JWKS (remote-key-set.ts), and the key in it that a token's header selects, chosen by jose's rules
 * (`createLocalJWKSet`) and imported once as a `node:crypto` public `KeyObject`:
 * - the key's `kty` (and `crv`) must be the token's algorithm's (jws.ts), its `kid` the token's when the token names one;
 * - `alg`, `use` and `key_ops`, when the key carries them, must allow verifying with that algorithm;
 * - no key: the token's key is unknown (the caller may refetch the set once); two or more: which one is ambiguous,
 *   and the token is refused alike.
 * A selected key that cannot be used (not a public key, a malformed one, an RSA modulus under 2048 bits) is the
 * issuer's problem, not the token's: {@link UnusableKeyError}, which the verifier answers with 503.
 */
import type { KeyObject } from 'node:crypto';
import { type JwsAlgorithm, MIN_RSA_BITS } from './jws';

const { createPublicKey } = process.getBuiltinModule('node:crypto');

/** A JWKS member that cannot be used to verify: the issuer published something wrong. */
export class UnusableKeyError extends Error {
  public readonly name = 'JWKSInvalid';
}

/** No key of the set matches the token, or more than one does. */
export type NoKey = 'no_matching_key' | 'multiple_matching_keys';

type Jwk = Readonly<Record<string, unknown>>;

export class LocalKeySet {
  private readonly keys: readonly Jwk[];
  private readonly imported = new Map<Jwk, KeyObject>();

  /** `jwks`: an object whose `keys` is an array of plain objects (remote-key-set.ts checks it). */
  constructor(jwks: { readonly keys: readonly object[] }) {
    this.keys = jwks.keys.map((key) => ({ ...key }) as Jwk);
  }

  /** The key for a token signed with `alg` (described by `algorithm`) under `kid` (the header's, of any type). */
  select(alg: string, algorithm: JwsAlgorithm, kid: unknown): KeyObject | NoKey {
    const [jwk, ...others] = this.keys.filter((candidate) => usable(candidate, alg, algorithm, kid));
    if (jwk === undefined) return 'no_matching_key';
    if (others.length > 0) return 'multiple_matching_keys';
    let key = this.imported.get(jwk);
    if (!key) {
      key = importPublicKey(jwk, algorithm);
      this.imported.set(jwk, key);
    }
    return key;
  }
}

/** jose's `isUsableJWK`: whether `jwk` may verify a token signed with `alg` under `kid`. */
function usable(jwk: Jwk, alg: string, algorithm: JwsAlgorithm, kid: unknown): boolean {
  const { kty, key_ops: keyOps, ext, kid: jwkKid, alg: jwkAlg, use, crv } = jwk;
  return (
    (ext === undefined || typeof ext === 'boolean') &&
    (keyOps === undefined ||
      (Array.isArray(keyOps) &&
        keyOps.every((operation, index) => typeof operation === 'string' && keyOps.indexOf(operation) === index) &&
        keyOps.includes('verify'))) &&
    kty === algorithm.kty &&
    (kid === undefined || (typeof kid === 'string' && kid === jwkKid)) &&
    (jwkAlg === undefined || jwkAlg === alg) &&
    (use === undefined || use === 'sig') &&
    (algorithm.crv === undefined || crv === algorithm.crv)
  );
}

/** The JWK as a public `KeyObject`, or {@link UnusableKeyError}. */
function importPublicKey(jwk: Jwk, algorithm: JwsAlgorithm): KeyObject {
  // A private JWK would import as its public half; jose refuses it (and it should never have been published).
  if (jwk.d !== undefined || jwk.priv !== undefined) throw new UnusableKeyError('JSON Web Key Set members must be public keys');
  // key_ops naming more than verifying (`sign`) cannot be a public key's (WebCrypto refuses it on import).
  if (Array.isArray(jwk.key_ops) && jwk.key_ops.some((operation) => operation !== 'verify')) {
    throw new UnusableKeyError('JSON Web Key Set members must be public keys usable to verify');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { ...jwk } as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new UnusableKeyError(`A ${algorithm.kty} key of the JSON Web Key Set cannot be imported`, { cause: error });
  }
  if (algorithm.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new UnusableKeyError(`An RSA key of the JSON Web Key Set is shorter than ${MIN_RSA_BITS} bits`);
  }
  return key;
}
