import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1, as the platform mounts `default` and `system`. */
  privatePem: string;
  /** SPKI, as the platform mounts `*.pub`. */
  publicPem: string;
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

/** The key pairs of the platform: jwt-issuer's `default` and `system`, the authorization server's. */
export interface PlatformKeys {
  dir: string;
  default: RsaKeyPair;
  system: RsaKeyPair;
  /** `private.pem` / `public.pub`, the authorization server's pair. */
  authServer: RsaKeyPair;
  remove(): void;
}

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** A keys directory laid out as `/run/secrets` on the platform. */
export function platformKeysDir(): PlatformKeys {
  const dir = mkdtempSync(join(tmpdir(), 'mk-keys-'));
  const keys = { default: rsaKeyPair(), system: rsaKeyPair(), authServer: rsaKeyPair() };
  writeFileSync(join(dir, 'default'), keys.default.privatePem);
  writeFileSync(join(dir, 'default.pub'), keys.default.publicPem);
  writeFileSync(join(dir, 'system'), keys.system.privatePem);
  writeFileSync(join(dir, 'system.pub'), keys.system.publicPem);
  writeFileSync(join(dir, 'private.pem'), keys.authServer.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'public.pub'), keys.authServer.publicPem);
  copyFileSync(new URL('service.key', FIXTURES), join(dir, 'service.key'));
  copyFileSync(new URL('service.cert', FIXTURES), join(dir, 'service.cert'));
  writeFileSync(join(dir, 'microservice_hello_config.json'), '{"service": {"name": "hello"}}');
  return { dir, ...keys, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
