import { createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * A self-signed X.509 v3 certificate for an RSA key, in PEM, as the platform mounts
 * `service.cert` beside `service.key`: what a SAML SP and IdP sign and verify with. Written in DER
 * by hand (Node can read certificates, not make them), SHA-256 with RSA, CN as given.
 */
export function selfSignedCertificate(privateKey: KeyObject, commonName = 'microkubes-test', validDays = 365): string {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String(commonName))));
  const now = Date.now();
  const sha256WithRsa = sequence(oid('1.2.840.113549.1.1.11'), nullValue());
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(derSerialNumber(randomBytes(16))),
    sha256WithRsa,
    name,
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + validDays * 86_400_000))),
    name,
    spki,
  );
  const der = sequence(tbs, sha256WithRsa, bitString(sign('sha256', tbs, privateKey)));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  // Node's own parser is the check that the encoding is right.
  new X509Certificate(pem);
  return pem;
}

function element(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const size = length < 0x80 ? Buffer.from([length]) : lengthBytes(length);
  return Buffer.concat([Buffer.from([tag]), size, content]);
}

function lengthBytes(length: number): Buffer {
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const sequence = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => element(0x31, Buffer.concat(items));
const explicit = (tag: number, content: Buffer) => element(0xa0 | tag, content);
const integer = (value: Buffer) => element(0x02, value);
const nullValue = () => Buffer.from([0x05, 0x00]);
const utf8String = (text: string) => element(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bits: Buffer) => element(0x03, Buffer.concat([Buffer.from([0]), bits]));

/**
 * A serial number as a DER INTEGER: positive (a leading zero byte where the top bit is set) and
 * minimal (no other leading zero byte: OpenSSL 3 refuses "illegal padding", which random bytes
 * starting with 0x00 would give one certificate in 512), never zero. @internal
 */
export function derSerialNumber(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = bytes.subarray(start);
  if (minimal.length === 1 && minimal[0] === 0) return Buffer.from([1]);
  return minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return element(0x17, Buffer.from(text, 'ascii'));
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const part of rest) {
    const chunk: number[] = [];
    let value = part;
    do {
      chunk.unshift((value & 0x7f) | (chunk.length ? 0x80 : 0));
      value = Math.floor(value / 128);
    } while (value > 0);
    bytes.push(...chunk);
  }
  return element(0x06, Buffer.from(bytes));
}
