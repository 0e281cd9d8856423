/**
 * A self-signed certificate for the local services' TLS endpoints (the Bedrock emulator, dynalite), made
 * with node:crypto alone: a P-256 key and an X.509 v3 certificate for `127.0.0.1`, `::1` and `localhost`,
 * valid from a day ago for 30 days. A client trusts it through `NODE_EXTRA_CA_CERTS=<file with cert>` (read
 * once, at the start of a process) or a `ca` option: nothing here turns certificate checks off.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface LocalTlsCertificate {
  /** PEM private key (PKCS#8). */
  readonly key: string;
  /** PEM certificate, also its own issuer: the trust anchor to give clients. */
  readonly cert: string;
}

/** DER: tag, length, contents. */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, ...items);
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const value of rest) {
    const groups = [value & 0x7f];
    for (let v = value >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'latin1'));
}
const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** A new key and self-signed certificate (a few milliseconds: make one per test suite or process). */
export function createLocalTlsCertificate(commonName = 'local-services'): LocalTlsCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))));
  const now = Date.now();
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER: top bit clear (else it reads as negative) and first byte non-zero (a leading
  // zero before a byte under 0x80 is padding DER forbids, which OpenSSL refuses about once in 256 certificates).
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const subjectAltName = seq(
    der(0x87, Buffer.from([127, 0, 0, 1])), // iPAddress
    der(0x87, Buffer.from([...new Array(15).fill(0), 1])), // ::1
    der(0x82, Buffer.from('localhost', 'latin1')), // dNSName
  );
  const extensions = der(
    0xa3,
    seq(
      // basicConstraints: CA (critical), so it can anchor its own chain
      seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq(der(0x01, Buffer.from([0xff]))))),
      // keyUsage: digitalSignature, keyCertSign (critical)
      seq(oid('2.5.29.15'), der(0x01, Buffer.from([0xff])), der(0x04, der(0x03, Buffer.from([0x02, 0x84])))),
      // extendedKeyUsage: serverAuth
      seq(oid('2.5.29.37'), der(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))),
      seq(oid('2.5.29.17'), der(0x04, subjectAltName)),
    ),
  );
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 30 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certificate = seq(tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), signature));
  const base64 = certificate.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
  };
}

/** Writes the certificate (not the key) to `file`, for `NODE_EXTRA_CA_CERTS`; returns `file`. */
export function writeTrustAnchor(certificate: LocalTlsCertificate, file: string): string {
  writeFileSync(file, certificate.cert);
  return file;
}
