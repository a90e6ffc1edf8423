import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authFromSession, SamlSessionCodec, type SamlSessionPayload } from '../../../lib/saml/saml-session.js';
import { readCookie } from '../../../lib/saml/session-cookie.js';

const now = 1_800_000_000;
const payload: SamlSessionPayload = { userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now, exp: now + 60 };
const codec = SamlSessionCodec.fromSecrets([Buffer.from('s'.repeat(32))], 'sp');

describe('SamlSessionCodec', () => {
  it('opens what it sealed, until exp', () => {
    const sealed = codec.seal(payload);
    expect(codec.open(sealed, now)).toEqual(payload);
    expect(codec.open(sealed, now + 59)).toEqual(payload);
    expect(codec.open(sealed, now + 60)).toBe('session expired');
  });

  it('seals the same session differently each time, and hides its content', () => {
    const [a, b] = [codec.seal(payload), codec.seal(payload)];
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').toString('latin1')).not.toContain('jane');
  });

  it('refuses another secret, another entity id, another version and any changed byte', () => {
    const sealed = codec.seal(payload);
    expect(SamlSessionCodec.fromSecrets([Buffer.from('t'.repeat(32))], 'sp').open(sealed, now)).toBe('session cookie not accepted');
    expect(SamlSessionCodec.fromSecrets([Buffer.from('s'.repeat(32))], 'other-sp').open(sealed, now)).toBe('session cookie not accepted');
    const bytes = Buffer.from(sealed, 'base64url');
    expect(codec.open(Buffer.concat([Buffer.of(2), bytes.subarray(1)]).toString('base64url'), now)).toBe('malformed session cookie');
    for (let i = 1; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      expect(codec.open(changed.toString('base64url'), now)).toBe('session cookie not accepted');
    }
  });

  it.each(['', 'short', 'not base64url!'.repeat(5), 'A'.repeat(5000)])('refuses the malformed value %j', (value) => {
    expect(codec.open(value, now)).toBe('malformed session cookie');
  });

  it('derives its key from the SP private key by default: same key, same cookies', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sealed = SamlSessionCodec.fromPrivateKey(privateKey, 'sp').seal(payload);
    expect(SamlSessionCodec.fromPrivateKey(privateKey, 'sp').open(sealed, now)).toEqual(payload);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(SamlSessionCodec.fromPrivateKey(other, 'sp').open(sealed, now)).toBe('session cookie not accepted');
  });

  it('makes a frozen saml Auth of a session', () => {
    const auth = authFromSession(payload);
    expect(auth).toMatchObject({ userId: 'u1', username: 'jane@example.com', email: 'jane@example.com', roles: ['user'], strategy: 'saml', organizations: [] });
    expect(Object.isFrozen(auth.roles)).toBe(true);
  });
});

describe('readCookie', () => {
  it.each([
    ['a=1; microkubes_saml=xyz; b=2', 'xyz'],
    ['microkubes_saml="xyz"', 'xyz'],
    ['microkubes_saml=first; microkubes_saml=second', 'first'],
    ['xmicrokubes_saml=no; microkubes_samlx=no', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j', (header, value) => {
    expect(readCookie(header, 'microkubes_saml')).toBe(value);
  });
});
