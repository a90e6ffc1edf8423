import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Auth } from '../../../lib/auth/auth.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';
import { SamlSessionCodec } from '../../../lib/saml/saml-session.js';
import { SamlSessionStrategy } from '../../../lib/saml/saml-session.strategy.js';
import { MicrokubesJwtStrategy } from '../../../lib/security/jwt.strategy.js';
import { MicrokubesAuthenticator, type NamedStrategy } from '../../../lib/security/microkubes-authenticator.js';
import { KeyStoreKeySource } from '../../../lib/security/token-key-source.js';
import { TokenVerification } from '../../../lib/security/token-verification.js';
import type { KeyStore } from '../../../lib/keys/key-store.js';

const codec = SamlSessionCodec.fromSecrets([Buffer.from('s'.repeat(32))], 'sp');
const now = Math.floor(Date.now() / 1000);
const valid = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now, exp: now + 60 });
const expired = codec.seal({ userId: 'u1', username: 'jane@example.com', roles: ['user'], iss: 'idp', iat: now - 60, exp: now - 1 });

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

describe('MicrokubesAuthenticator, session without a token', () => {
  it.each([
    ['no cookie', {}],
    ['a valid session', { cookie: `sso=${valid}` }],
    ['an expired session', { cookie: `sso=${expired}` }],
    ['a forged session', { cookie: `sso=${'A'.repeat(80)}` }],
  ])('answers %s directly as passport would', async (_case, headers) => {
    const [directly, throughPassport] = await Promise.all([chain(true).authenticate({ headers }, {}), chain(false).authenticate({ headers }, {})]);
    expect(directly).toEqual(throughPassport);
    expect(directly instanceof Auth).toBe(throughPassport instanceof Auth);
  });
});
