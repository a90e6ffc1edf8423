import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './self-signed-certificate.js';

/** An RSA key pair, parsed and in the PEM forms the platform mounts. */
export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`), as the platform mounts `default` and `system`. */
  privatePem: string;
  /** SPKI (`BEGIN PUBLIC KEY`), as the platform mounts `*.pub`. */
  publicPem: string;
}

/** The SAML key and its self-signed certificate, as the platform mounts `service.key` and `service.cert`. */
export interface SamlKeyPair {
  privateKey: KeyObject;
  /** PKCS#8 (`BEGIN PRIVATE KEY`). */
  privatePem: string;
  certificatePem: string;
}

/** The platform's keys: jwt-issuer's `default` and `system`, the authorization server's, the shared SAML pair. */
export interface PlatformKeys {
  default: RsaKeyPair;
  system: RsaKeyPair;
  /** `private.pem` / `public.pub`: the authorization server's pair. */
  authServer: RsaKeyPair;
  /** `service.key` / `service.cert`: the SAML SP's (and, on the platform, the IdP's) pair. */
  saml: SamlKeyPair;
}

/** The same keys written to a directory laid out as `/run/secrets` on the platform. */
export interface PlatformKeysDir extends PlatformKeys {
  dir: string;
  /** Deletes the directory. */
  remove(): void;
}

export function rsaKeyPair(modulusLength = 2048): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function samlKeyPair(commonName = 'microkubes-test-saml'): SamlKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: selfSignedCertificate(privateKey, commonName),
  };
}

/** Throwaway keys, in memory: generated anew for each call (2048-bit RSA, a few tens of ms each). */
export function platformKeys(): PlatformKeys {
  return { default: rsaKeyPair(), system: rsaKeyPair(), authServer: rsaKeyPair(), saml: samlKeyPair() };
}

/**
 * Throwaway keys in a fresh temporary directory, named as the platform mounts them: `default`,
 * `default.pub`, `system`, `system.pub`, `private.pem`, `public.pub`, `service.key`, `service.cert`.
 * `remove()` deletes it.
 */
export function platformKeysDir(keys: PlatformKeys = platformKeys()): PlatformKeysDir {
  const dir = mkdtempSync(join(tmpdir(), 'microkubes-keys-'));
  const files: Record<string, string> = {
    default: keys.default.privatePem,
    'default.pub': keys.default.publicPem,
    system: keys.system.privatePem,
    'system.pub': keys.system.publicPem,
    'private.pem': keys.authServer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'public.pub': keys.authServer.publicPem,
    'service.key': keys.saml.privatePem,
    'service.cert': keys.saml.certificatePem,
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return { ...keys, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
