/**
 * The local services' TLS certificate (tools/local/tls.ts): a parseable, self-signed X.509 v3 certificate for the
 * loopback names, usable as its own trust anchor. (Served over HTTPS: test/lambdas/bundles.test.ts.)
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLocalTlsCertificate, writeTrustAnchor } from '../../../tools/local/tls';

describe('createLocalTlsCertificate', () => {
  const certificate = createLocalTlsCertificate();
  const x509 = new X509Certificate(certificate.cert);

  test('names the loopback addresses and localhost, and no other host', () => {
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkHost('example.com')).toBeUndefined();
  });

  test('is self-signed by its key, a CA (its own trust anchor), valid now for 30 days', () => {
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIssued(x509)).toBe(true);
    expect(x509.ca).toBe(true);
    const now = Date.now();
    expect(Date.parse(x509.validFrom)).toBeLessThan(now);
    expect(Date.parse(x509.validTo)).toBeGreaterThan(now + 29 * 86_400_000);
    expect(createPublicKey(createPrivateKey(certificate.key)).export({ format: 'jwk' })).toEqual(x509.publicKey.export({ format: 'jwk' }));
  });

  test('each call makes a new key and serial', () => {
    const other = new X509Certificate(createLocalTlsCertificate().cert);
    expect(other.serialNumber).not.toBe(x509.serialNumber);
    expect(other.verify(x509.publicKey)).toBe(false);
  });

  test('every certificate parses: the serial is minimal DER whatever its random bytes (512 made)', () => {
    // A serial starting with a zero byte then one under 0x80 is padding DER forbids: once in 256 before the fix.
    for (let i = 0; i < 512; i += 1) {
      const made = new X509Certificate(createLocalTlsCertificate().cert);
      expect(made.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });

  test('writeTrustAnchor writes the certificate and never the key', () => {
    const file = writeTrustAnchor(certificate, path.join(mkdtempSync(path.join(tmpdir(), 'tls-')), 'ca.pem'));
    expect(readFileSync(file, 'utf8')).toBe(certificate.cert);
    expect(readFileSync(file, 'utf8')).not.toContain('PRIVATE KEY');
  });
});
