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

const codec = SamlSessionCodec.fromSecrets([Buffer.from('s'.repeat(32))], 'sp');
const now = Math.floor(Date.now() / 1000);
const valid = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now, exp: now + 60 });
const expired = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now - 60, exp: now - 1 });
/** Well formed, but sealed with a secret this service does not hold. */
const foreign = SamlSessionCodec.fromSecrets([Buffer.from('t'.repeat(32))], 'sp')
  .seal({ userId: 'u1', username: 'jane@example.com', roles: ['admin'], iss: 'idp', iat: now, exp: now + 60 });

function chain(direct: boolean): MicrokubesAuthenticator {
  const options = resolveOptions({});
  const store = { publicKeys: () => [], publicKey: () => undefined, onChange: () => () => {} } as unknown as KeyStore;
  const jwt = new MicrokubesJwtStrategy(new TokenVerification({ strategy: 'jwt', options: options.security.jwt!, keys: new KeyStoreKeySource(store) }));
  const session = new SamlSessionStrategy(codec, 'sso');
  // The same strategy without `check`: the chain must run it through passport.
  const viaPassport = {
    name: session.name,
    strategyName: session.strategyName,
    authenticate(this: { success(user: unknown): void; fail(challenge: unknown, status: number): void }, request: { headers: IncomingHttpHeaders }) {
      const result = session.check(request);
      if (result instanceof Auth) this.success(result);
      else this.fail(result, 401);
    },
  } as unknown as NamedStrategy;
  return new MicrokubesAuthenticator([jwt, direct ? session : viaPassport]);
}

/** What the chain must answer: the caller, or the refusal (its message and kind). */
type Expected = { auth: Partial<Auth> } | { refusal: { message: string; kind: TokenRefusal['kind'] } };

describe('MicrokubesAuthenticator, session without a token', () => {
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
  ])('answers %s directly as passport would, and what it should', async (_case, headers, expected) => {
    const [directly, throughPassport] = await Promise.all([chain(true).authenticate({ headers }, {}), chain(false).authenticate({ headers }, {})]);
    for (const [path, answer] of [['directly', directly], ['through passport', throughPassport]] as const) {
      if ('auth' in expected) {
        expect(answer, path).toBeInstanceOf(Auth);
        expect(answer, path).toMatchObject(expected.auth);
        expect((answer as Auth).claims, path).toMatchObject({ userId: 'u1', username: 'jane@example.com', iss: 'idp' });
      } else {
        expect(answer, path).toBeInstanceOf(TokenRefusal);
        expect({ message: (answer as TokenRefusal).message, kind: (answer as TokenRefusal).kind }, path).toEqual(expected.refusal);
      }
    }
    expect(directly).toEqual(throughPassport);
    expect(directly instanceof Auth).toBe(throughPassport instanceof Auth);
  });
});
