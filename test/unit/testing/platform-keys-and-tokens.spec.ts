import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authServerToken, jwtIssuerToken, platformKeysDir, systemToken } from '../../../lib/testing/index.js';

const decode = (token: string) => token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));

describe('platformKeysDir: throwaway keys laid out as the platform mounts them (PLATFORM.md section 1)', () => {
  const keys = platformKeysDir();
  afterAll(() => keys.remove());

  it('writes the platform\'s files, each in its PEM form', () => {
    expect(readdirSync(keys.dir).sort()).toEqual(['default', 'default.pub', 'private.pem', 'public.pub', 'service.cert', 'service.key', 'system', 'system.pub']);
    const read = (name: string) => readFileSync(join(keys.dir, name), 'utf8');
    for (const name of ['default', 'system']) expect(read(name)).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    for (const name of ['default.pub', 'system.pub', 'public.pub']) expect(read(name)).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(read('private.pem')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(read('service.key')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPublicKey(read('default.pub')).equals(keys.default.publicKey)).toBe(true);
    expect(createPrivateKey(read('system')).equals(keys.system.privateKey)).toBe(true);
  });

  it('makes service.cert a self-signed certificate of service.key', () => {
    const certificate = new X509Certificate(readFileSync(join(keys.dir, 'service.cert')));
    expect(certificate.checkPrivateKey(createPrivateKey(readFileSync(join(keys.dir, 'service.key'))))).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });

  it('makes new keys each time, and removes its directory', () => {
    const other = platformKeysDir();
    expect(other.default.publicKey.equals(keys.default.publicKey)).toBe(false);
    other.remove();
    expect(existsSync(other.dir)).toBe(false);
  });
});

describe('the token factories mint exactly what the platform mints (PLATFORM.md section 2)', () => {
  const keys = platformKeysDir();
  afterAll(() => keys.remove());

  it('jwt-issuer: RS512, 24 h, nbf 0, a jti, comma-joined lists, namespaces absent when unset', () => {
    const [header, claims] = decode(jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'jane@example.com', roles: ['user', 'admin'] }));
    expect(header).toEqual({ alg: 'RS512', typ: 'JWT' });
    expect(claims).toMatchObject({ iss: 'Microkubes JWT Authority', sub: 'u1', nbf: 0, userId: 'u1', username: 'jane@example.com', roles: 'user,admin', organizations: '', scopes: 'api:read' });
    expect(claims.exp - claims.iat).toBe(24 * 3600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims).not.toHaveProperty('namespaces');
    expect(claims).not.toHaveProperty('aud');
  });

  it("jwt-issuer's system token: the system key's, 30 s, singular scope", () => {
    const [header, claims] = decode(systemToken(keys.system.privateKey));
    expect(header.alg).toBe('RS512');
    expect(claims).toMatchObject({ userId: 'system', username: 'system', roles: 'system', scope: 'api:read' });
    expect(claims.exp - claims.iat).toBe(30);
  });

  it('the authorization server: RS256, 30 days, sub the client id, namespaces null when unset, space-separated scopes', () => {
    const [header, claims] = decode(authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u1', username: 'jane@example.com' }));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toMatchObject({ iss: 'Microkubes Authorization Server', sub: 'c1', userId: 'u1', namespaces: null, scopes: 'api:read api:write', nbf: 0 });
    expect(claims.exp - claims.iat).toBe(30 * 24 * 3600);
  });
});
