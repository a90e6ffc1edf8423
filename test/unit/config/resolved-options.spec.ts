import { describe, expect, it } from 'vitest';
import { MicrokubesOptionsError, type MicrokubesModuleOptions } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';

describe('resolveOptions', () => {
  it('fills in every default', () => {
    const resolved = resolveOptions({});
    expect(resolved.watchKeys).toBe(true);
    expect(resolved.security.jwt).toMatchObject({ header: 'authorization', scheme: 'Bearer', clockTolerance: 0, requireExpiration: true, issuer: undefined });
    expect([...resolved.security.jwt!.algorithms]).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);
    expect(resolved.security.oauth2).toMatchObject({ issuer: ['Microkubes Authorization Server'], requiredScopes: [] });
    expect([...resolved.security.ignoreHttpMethods]).toEqual(['OPTIONS']);
    expect(resolved.security).toMatchObject({ publicRoutes: [], globalGuard: false, realm: 'microkubes' });
  });

  it('adds HS* only with a secret, and turns strategies off with false', () => {
    const resolved = resolveOptions({ security: { jwt: { hmacSecret: 'x'.repeat(32) }, oauth2: false } });
    expect(resolved.security.jwt!.algorithms.has('HS256')).toBe(true);
    expect(resolved.security.oauth2).toBeUndefined();
    expect(resolveOptions({ security: { oauth2: { issuer: null } } }).security.oauth2!.issuer).toBeUndefined();
  });

  it('takes any public route that can be matched in linear time, on the engine its shape allows', () => {
    const routes = resolveOptions({ security: { publicRoutes: ['/todo/public/.*', '/static/(.*)*\\.js', '(.*/)*public/.*', /(a+)+$/, '/wild/.*/.*/.*\\.js'] } }).security.publicRoutes;
    expect(routes.map((route) => route.engine)).toEqual(['backtracking', 're2', 're2', 're2', 're2']);
    expect(routes[1]!.test('/static/a/b.js')).toBe(true);
    expect(routes[3]!.test('aaa')).toBe(true);
  });

  it('refuses public routes that no engine matches in linear time, naming them', () => {
    for (const route of ['/(?=x)x', '/(a)\\1', /(?<!admin)\/public/, /\/x/m]) {
      expect(() => resolveOptions({ security: { publicRoutes: ['/ok/.*', route] } })).toThrow(/"security\.publicRoutes\[1\]": .* is not a valid regular expression here: /);
    }
  });

  it('anchors public routes so that they match whole paths', () => {
    const [pattern, regexp] = resolveOptions({ security: { publicRoutes: ['/todo/public/.*', /\/health(check)?/] } }).security.publicRoutes;
    expect(pattern!.test('/todo/public/x')).toBe(true);
    expect(pattern!.test('/evil/todo/public/x')).toBe(false);
    expect(regexp!.test('/healthcheck')).toBe(true);
    expect(regexp!.test('/healthcheck/secret')).toBe(false);
  });

  it.each<[string, MicrokubesModuleOptions, string]>([
    ['keysDir', { keysDir: '' }, 'keysDir'],
    ['keys', { keys: { a: 5 as unknown as string } }, 'keys.a'],
    ['watchKeys', { watchKeys: 'yes' as unknown as boolean }, 'watchKeys'],
    ['an algorithm', { security: { jwt: { algorithms: ['none' as 'RS256'] } } }, 'security.jwt.algorithms[0]'],
    ['HS256 without a secret', { security: { jwt: { algorithms: ['HS256'] } } }, 'security.jwt.algorithms[0]'],
    ['no algorithms', { security: { oauth2: { algorithms: [] } } }, 'security.oauth2.algorithms'],
    ['a short secret', { security: { jwt: { hmacSecret: 'short' } } }, 'security.jwt.hmacSecret'],
    ['clockTolerance', { security: { jwt: { clockTolerance: -1 } } }, 'security.jwt.clockTolerance'],
    ['a header name', { security: { jwt: { header: 'bad header' } } }, 'security.jwt.header'],
    ['issuer', { security: { jwt: { issuer: [] } } }, 'security.jwt.issuer'],
    ['audience', { security: { oauth2: { audience: [''] } } }, 'security.oauth2.audience'],
    ['requiredScopes', { security: { oauth2: { requiredScopes: [' '] } } }, 'security.oauth2.requiredScopes[0]'],
    ['jwksUri', { security: { oauth2: { jwksUri: 'file:///etc/keys' } } }, 'security.oauth2.jwksUri'],
    ['a token URL', { security: { jwt: { tokenUrl: 'kong:8000/jwt' } } }, 'security.jwt.tokenUrl'],
    ['an authorization URL', { security: { oauth2: { authorizationUrl: 'javascript:alert(1)' } } }, 'security.oauth2.authorizationUrl'],
    ['a token URL that would end an attribute', { security: { oauth2: { tokenUrl: 'https://x/"><svg/onload=alert(1)>' } } }, 'security.oauth2.tokenUrl'],
    ['a token URL of another host, written //host', { security: { jwt: { tokenUrl: '//evil.example.com/jwt' } } }, 'security.jwt.tokenUrl'],
    ['a public route', { security: { publicRoutes: ['/a', '(unclosed'] } }, 'security.publicRoutes[1]'],
    ['ignoreHttpMethods', { security: { ignoreHttpMethods: [''] } }, 'security.ignoreHttpMethods[0]'],
    ['globalGuard', { security: { globalGuard: 1 as unknown as boolean } }, 'security.globalGuard'],
    ['acl.grantsMatch', { acl: { grantsMatch: 'most' as 'all' } }, 'acl.grantsMatch'],
    ['a firewall rule', { security: { firewall: { allowEncodedSlash: 'yes' as unknown as boolean } } }, 'security.firewall.allowEncodedSlash'],
    ['the firewall', { security: { firewall: true as unknown as false } }, 'security.firewall'],
    ['maxPathLength', { security: { maxPathLength: 0 } }, 'security.maxPathLength'],
    ['security', { security: [] as unknown as object }, 'security'],
    ['requiredScopes that the JWT strategy would bypass', { security: { oauth2: { issuer: null, requiredScopes: ['api:write'] } } }, 'security.oauth2.requiredScopes'],
  ])('names the option when %s is wrong', (_what, options, option) => {
    let error: unknown;
    try {
      resolveOptions(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MicrokubesOptionsError);
    expect((error as MicrokubesOptionsError).option).toBe(option);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid MicrokubesModule option "${option.replace(/[[\].]/g, '\\$&')}": `));
  });
});

describe('unknown options', () => {
  it.each<[unknown, string]>([
    [{ keyDir: '/run/secrets' }, 'Invalid MicrokubesModule option "keyDir": is not an option; did you mean "keysDir"?'],
    [{ security: { globalGuards: true } }, 'Invalid MicrokubesModule option "security.globalGuards": is not an option; did you mean "globalGuard"?'],
    [{ security: { publicRoute: [] } }, 'Invalid MicrokubesModule option "security.publicRoute": is not an option; did you mean "publicRoutes"?'],
    [{ security: { GlobalGuard: true } }, 'Invalid MicrokubesModule option "security.GlobalGuard": is not an option; did you mean "globalGuard"?'],
    [{ security: { firewall: { allowEncodedSlashes: true } } }, 'Invalid MicrokubesModule option "security.firewall.allowEncodedSlashes": is not an option; did you mean "allowEncodedSlash"?'],
    [{ acl: { globalGuard: true } }, 'Invalid MicrokubesModule option "acl.globalGuard": is not an option; did you mean "globalGuards"?'],
    [{ security: { jwt: { clockSkew: 5 } } }, 'Invalid MicrokubesModule option "security.jwt.clockSkew": is not an option (the options here: header, scheme, algorithms, hmacSecret, clockTolerance, issuer, audience, requireExpiration, tokenUrl)'],
    [{ gateway: { name: 'x', paths: ['/x'], host: 'x', adminUrl: 'http://kong:8001', retry: { attempt: 3 } } }, 'Invalid MicrokubesModule option "gateway.retry.attempt": is not an option; did you mean "attempts"?'],
    [{ security: { tokenCache: { enabled: false } } }, 'Invalid MicrokubesModule option "security.tokenCache.enabled": is not an option (the options here: size)'],
    [{ acl: { policies: [{ id: 'p', effect: 'allow', subjects: ['<.+>'], resources: ['/a'], actions: ['api:read'], condition: {} }] } },
      'Invalid MicrokubesModule option "acl.policies[0] (p).condition": is not an option; did you mean "conditions"?'],
    [{ acl: { policies: [{ id: 'p', effect: 'allow', subjects: ['<.+>'], resources: ['/a'], actions: ['api:read'], conditions: { r: { type: 'RolesCondition', option: { values: ['a'] } } } }] } },
      'Invalid MicrokubesModule option "acl.policies[0] (p).conditions.r.option": is not an option; did you mean "options"?'],
    [{ acl: { policies: [{ id: 'p', effect: 'allow', subjects: ['<.+>'], resources: ['/a'], actions: ['api:read'], conditions: { r: { type: 'RolesCondition', options: { valuez: ['a'] } } } }] } },
      'Invalid MicrokubesModule option "acl.policies[0] (p).conditions.r.options.valuez": is not an option; did you mean "values"?'],
  ])('fail start-up, naming the option and what it looks like: %j', (options, message) => {
    expect(() => resolveOptions(options as MicrokubesModuleOptions)).toThrow(MicrokubesOptionsError);
    expect(() => resolveOptions(options as MicrokubesModuleOptions)).toThrow(message);
  });
});
