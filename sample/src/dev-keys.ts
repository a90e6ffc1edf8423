import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';

/** Where the sample keeps its development keys when MICROKUBES_KEYS_DIR is not set (git-ignored). */
export const DEV_KEYS_DIR = fileURLToPath(new URL('../.keys/', import.meta.url));

/**
 * A development key pair laid out as the platform mounts jwt-issuer's: `default` (PKCS#1) and
 * `default.pub` (SPKI). With `saml`, also the platform's shared `service.key`/`service.cert`
 * (self-signed, by openssl: Node cannot issue certificates). Generated once, then reused.
 */
export function ensureDevKeys(dir = DEV_KEYS_DIR, { saml = false } = {}): string {
  if (!existsSync(join(dir, 'default.pub'))) {
    mkdirSync(dir, { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'default'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'default.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  if (saml && !existsSync(join(dir, 'service.cert'))) {
    const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '365', '-subj', '/CN=hello-service',
      '-keyout', join(dir, 'service.key'), '-out', join(dir, 'service.cert')], { stdio: 'pipe' });
    if (openssl.status !== 0) {
      throw new Error(`SAML needs service.key and service.cert: set MICROKUBES_KEYS_DIR to the platform's keys, or install openssl (${openssl.error?.message ?? openssl.stderr})`);
    }
  }
  return dir;
}

/** A sign-in token for a demo user, minted as the platform's jwt-issuer mints them (RS512, 24 h). */
export function demoToken(dir = DEV_KEYS_DIR): string {
  const key: KeyObject = createPrivateKey(readFileSync(join(dir, 'default')));
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    {
      iss: 'Microkubes JWT Authority',
      sub: 'demo-user-1',
      exp: now + 24 * 3600,
      iat: now,
      nbf: 0,
      jti: randomUUID(),
      userId: 'demo-user-1',
      username: 'demo@example.com',
      roles: 'user',
      organizations: 'demo-org',
      namespaces: 'demo',
      scopes: 'api:read',
    },
    key,
    { algorithm: 'RS512', noTimestamp: true },
  );
}
