import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Auth } from '../../../lib/auth/auth.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';
import { SamlSessionCodec } from '../../../lib/saml/saml-session.js';
import { SamlSessionStrategy } from '../../../lib/saml/saml-session.strategy.js';
import { MicrokubesJwtStrategy } from '../../../lib/security/jwt.strategy.js';
import { MicrokubesAuthenticator, type NamedStrategy } from '../../../lib/security/microkubes-authenticator.js';
import { KeyStoreKeySource } from '../../../lib/security/token-key-source.js';
import { TokenRefusal } from '../../../lib/security/token-refusal.js';
import { TokenVerification } from '../../../lib/security/token-verification.js';
import type { KeyStore } from '../../../lib/keys/key-store.js';
import { mostTelling } from '../../../lib/security/token-refusal.js';
import { badTokens, jwtIssuerToken, rsaKeyPair } from '../../../lib/testing/index.js';
import passport from 'passport';

const codec = SamlSessionCodec.fromSecrets([Buffer.from('s'.repeat(32))], 'sp');
const now = Math.floor(Date.now() / 1000);
const valid = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now, exp: now + 60 });
const expired = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now - 60, exp: now - 1 });
/** Well formed, but sealed with a secret this service does not hold. */
const foreign = SamlSessionCodec.fromSecrets([Buffer.from('t'.repeat(32))], 'sp')
  .seal({ userId: 'u1', username: 'jane@example.com', roles: ['admin'], iss: 'idp', iat: now, exp: now + 60 });

const keys = { default: rsaKeyPair(), system: rsaKeyPair() };
const user = { userId: 'u1', username: 'jane@example.com' };

function strategies(): NamedStrategy[] {
  const options = resolveOptions({});
  // Two public keys and tokens without kid: the verification tries the likeliest signer first.
  const stored = [{ name: 'system', key: keys.system.publicKey }, { name: 'default', key: keys.default.publicKey }];
  const store = { publicKeys: () => stored, publicKey: (name: string) => stored.find((entry) => entry.name === name), onChange: () => () => {} } as unknown as KeyStore;
  const jwt = new MicrokubesJwtStrategy(new TokenVerification({ strategy: 'jwt', options: options.security.jwt!, keys: new KeyStoreKeySource(store) }));
  return [jwt, new SamlSessionStrategy(codec, 'sso')];
}

/** The chain as MicrokubesAuthGuard asks it. */
function directly(headers: IncomingHttpHeaders): Promise<Auth | TokenRefusal> {
  return new MicrokubesAuthenticator(strategies()).verify({ headers, from: 'test' });
}

/** The same strategies as passport runs them (what `AuthGuard(['microkubes-jwt', ...])` does). */
function throughPassport(headers: IncomingHttpHeaders): Promise<Auth | TokenRefusal> {
  const instance = new passport.Authenticator();
  const chain = strategies();
  for (const strategy of chain) instance.use(strategy.strategyName, strategy);
  return new Promise((resolve, reject) => {
    const middleware = instance.authenticate(chain.map((strategy) => strategy.strategyName), { session: false }, (error: unknown, found: unknown, info: unknown) => {
      if (error) return reject(error);
      if (found instanceof Auth) return resolve(found);
      resolve(mostTelling((Array.isArray(info) ? info : [info]) as TokenRefusal[]));
    });
    middleware({ headers }, {}, reject);
  });
}

/** What the chain must answer: the caller, or the refusal (its message and kind). */
type Expected = { auth: Partial<Auth> } | { refusal: { message: string; kind: TokenRefusal['kind'] } };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('MicrokubesAuthenticator, asked directly, answers as passport would', () => {
  it.each<[string, IncomingHttpHeaders, Expected]>([
    ['no cookie', {}, { refusal: { message: 'missing bearer token or missing SAML session cookie', kind: 'missing' } }],
    ['another cookie only', { cookie: 'theme=dark' }, { refusal: { message: 'missing bearer token or missing SAML session cookie', kind: 'missing' } }],
    [
      'a valid session',
      { cookie: `theme=dark; sso=${valid}` },
      { auth: { userId: 'u1', username: 'jane@example.com', email: 'jane@example.com', roles: ['user'], scopes: [], strategy: 'saml' } },
    ],
    ['an expired session', { cookie: `sso=${expired}` }, { refusal: { message: 'session expired', kind: 'invalid' } }],
    ['a forged session', { cookie: `sso=${'A'.repeat(80)}` }, { refusal: { message: 'malformed session cookie', kind: 'invalid' } }],
    ['a session sealed with another secret', { cookie: `sso=${foreign}` }, { refusal: { message: 'session cookie not accepted', kind: 'invalid' } }],
    ['a token of the first key', bearer(jwtIssuerToken(keys.system.privateKey, user)), { auth: { userId: 'u1', strategy: 'jwt' } }],
    ['a token of the second key', bearer(jwtIssuerToken(keys.default.privateKey, user)), { auth: { userId: 'u1', strategy: 'jwt' } }],
    ['a token and a session: the token first', { ...bearer(jwtIssuerToken(keys.default.privateKey, user)), cookie: `sso=${valid}` }, { auth: { strategy: 'jwt' } }],
    ['a bad token and a valid session: the session', { ...bearer(badTokens.foreign(user)), cookie: `sso=${valid}` }, { auth: { strategy: 'saml' } }],
    ['a token of an unknown key', bearer(badTokens.foreign(user)), { refusal: { message: 'invalid signature', kind: 'invalid' } }],
    ['a tampered token', bearer(badTokens.tampered(keys.default.privateKey, user)), { refusal: { message: 'invalid signature', kind: 'invalid' } }],
    ['an expired token of the second key', bearer(badTokens.expired(keys.default.privateKey, user)), { refusal: { message: 'token expired', kind: 'invalid' } }],
    ['a token not yet valid', bearer(badTokens.notYetValid(keys.default.privateKey, user)), { refusal: { message: 'token not yet valid (nbf)', kind: 'invalid' } }],
    ['an unsigned token', bearer(badTokens.unsigned(user)), { refusal: { message: 'unsigned tokens are not accepted', kind: 'invalid' } }],
    ['garbage', bearer('garbage'), { refusal: { message: 'malformed token', kind: 'invalid' } }],
  ])('%s', async (_case, headers, expected) => {
    const [direct, viaPassport] = await Promise.all([directly(headers), throughPassport(headers)]);
    for (const [path, answer] of [['directly', direct], ['through passport', viaPassport]] as const) {
      if ('auth' in expected) {
        expect(answer, path).toBeInstanceOf(Auth);
        expect(answer, path).toMatchObject(expected.auth);
        expect((answer as Auth).claims, path).toMatchObject({ userId: 'u1', username: 'jane@example.com' });
      } else {
        expect(answer, path).toBeInstanceOf(TokenRefusal);
        expect({ message: (answer as TokenRefusal).message, kind: (answer as TokenRefusal).kind }, path).toEqual(expected.refusal);
      }
    }
    expect(direct).toEqual(viaPassport);
    expect(direct instanceof Auth).toBe(viaPassport instanceof Auth);
  });
});
