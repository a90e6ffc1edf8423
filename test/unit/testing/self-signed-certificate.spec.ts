import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derSerialNumber, selfSignedCertificate } from '../../../lib/testing/self-signed-certificate.js';

describe('selfSignedCertificate', () => {
  it.each([
    ['a leading zero byte, then a byte below 0x80', [0x00, 0x12, 0x34], [0x12, 0x34]],
    ['a leading zero byte, then one with its top bit set', [0x00, 0x80, 0x01], [0x00, 0x80, 0x01]],
    ['several leading zero bytes', [0x00, 0x00, 0x7f], [0x7f]],
    ['its top bit set', [0x90, 0x01], [0x00, 0x90, 0x01]],
    ['only zero bytes', [0x00, 0x00], [0x01]],
  ])('writes a serial number of %s as a minimal, positive DER integer', (_name, bytes, expected) => {
    expect([...derSerialNumber(Buffer.from(bytes))]).toEqual(expected);
  });

  it('makes certificates that Node (OpenSSL 3) reads, for the key given', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (let i = 0; i < 20; i++) {
      const certificate = new X509Certificate(selfSignedCertificate(privateKey, 'cn-test'));
      expect(certificate.subject).toBe('CN=cn-test');
      expect(certificate.publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKey.export({ type: 'spki', format: 'pem' }));
    }
  });
});
