import { Controller, Get, Inject, Scope, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Auth, CurrentAuth, KeyStore, MICROKUBES_AUTH, MicrokubesAuthenticator, MicrokubesAuthGuard, MicrokubesModule, type MicrokubesModuleOptions } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { authServerToken, b64url, jwtIssuerToken, platformKeysDir, rsaKeyPair, signClaims, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, getJson, PLATFORMS, withRunningApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const now = () => Math.floor(Date.now() / 1000);
const user = { userId: 'u1', username: 'ann@example.com', roles: 'user', scopes: 'api:read' };

/**
 * Makes the app's key store show no public key to the token verification from now on (a token
 * without `kid` is verified with `publicKeys()`), without the change notice that flushes the cache;
 * returns the spy, which counts the look-ups that full verifications make.
 */
function hideKeys(store: KeyStore) {
  vi.spyOn(store, 'publicKey').mockReturnValue(undefined);
  return vi.spyOn(store, 'publicKeys').mockReturnValue([]);
}

function withApp(platform: HttpPlatform, options: MicrokubesModuleOptions, run: (app: RunningApp, cacheSize: () => number | undefined) => Promise<void>, controllers: unknown[] = [HelloController]) {
  return withRunningApp(platform, { imports: [MicrokubesModule.forRoot(options)], controllers: controllers as [] }, (app) =>
    run(app, () => app.app.get(MicrokubesAuthenticator).tokenCache?.size));
}

describe.each(PLATFORMS)('verified-token cache (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  it('keeps verified tokens, JWT and OAuth2, and answers them the same', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const signIn = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      const access = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u2', username: 'bob@example.com' });
      const first = [await getJson(`${url}/hello`, bearer(signIn)), await getJson(`${url}/hello`, bearer(access))];
      // Seen once: verified, not kept (a token that never comes back costs no entry).
      expect(cacheSize()).toBe(0);
      const second = [await getJson(`${url}/hello`, bearer(signIn)), await getJson(`${url}/hello`, bearer(access))];
      expect(cacheSize()).toBe(2);
      const third = [await getJson(`${url}/hello`, bearer(signIn)), await getJson(`${url}/hello`, bearer(access))];
      for (const answers of [second, third]) expect(answers.map((r) => r.body)).toEqual(first.map((r) => r.body));
      expect(third[1]!.body.auth).toMatchObject({ strategy: 'oauth2', clientId: 'c1' });
    });
  });

  it('refuses an expired token even when it is cached', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const token = signClaims(keys.default.privateKey, { ...user, exp: now() + 2 });
      for (let i = 0; i < 2; i++) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, (now() + 2 - Date.now() / 1000) * 1000 + 1_100));
      expect((await getJson(`${url}/hello`, bearer(token))).body).toEqual({ code: 401, message: 'token expired' });
      expect(cacheSize()).toBe(0);
    });
  });

  it('refuses a cached token of a key that was removed from the key store', async () => {
    const extra = rsaKeyPair();
    writeFileSync(join(keys.dir, 'extra.pub'), extra.publicPem);
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const token = signClaims(extra.privateKey, { ...user, exp: now() + 60 });
      for (let i = 0; i < 2; i++) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBe(1);
      rmSync(join(keys.dir, 'extra.pub'));
      const deadline = Date.now() + 10_000;
      while ((await getJson(`${url}/hello`, bearer(token))).status === 200) {
        if (Date.now() > deadline) throw new Error('the removed key still verifies');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await getJson(`${url}/hello`, bearer(token))).body).toEqual({ code: 401, message: 'invalid signature' });
    });
  });

  it('never lets a tampered token, or any refused one, into the cache', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      for (let i = 0; i < 2; i++) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      const [header, payload, signature] = token.split('.');
      const tampered = [
        `${header}.${b64url(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: 'admin' }))}.${signature}`,
        `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`,
        `${token}x`,
        signClaims(rsaKeyPair().privateKey, { ...user, exp: now() + 60 }),
      ];
      for (let round = 0; round < 2; round++) {
        for (const forged of tampered) expect((await getJson(`${url}/hello`, bearer(forged))).status).toBe(401);
      }
      expect(cacheSize()).toBe(1);
    });
  });

  it('holds its LRU bound: the least recently used token is evicted and then verified again in full', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { tokenCache: { size: 3 } } }, async ({ app, url }, cacheSize) => {
      const tokens = Array.from({ length: 6 }, (_, i) => jwtIssuerToken(keys.default.privateKey, { userId: `u${i}`, username: `u${i}@example.com` }));
      const hello = async (i: number) => getJson(`${url}/hello`, bearer(tokens[i]!));
      // Each token twice: a token is kept on its second verification.
      for (const i of [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]) expect((await hello(i)).status, `token ${i}`).toBe(200);
      expect(cacheSize()).toBe(3);
      // 2 read again is the most recently used: 5 pushes out 3, the least recently used, not 2.
      expect((await hello(2)).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await hello(5)).status).toBe(200);
      expect(cacheSize()).toBe(3);

      // From here the verification finds no key (without the key store's change notice, which
      // would flush the cache): a token still cached passes, one verified again in full is refused.
      const lookups = hideKeys(app.get(KeyStore));
      const answers = new Map<number, { status: number; body: unknown; keyLookups: number }>();
      for (const i of [5, 4, 2, 3, 0, 1]) {
        const before = lookups.mock.calls.length;
        const { status, body } = await hello(i);
        answers.set(i, { status, body, keyLookups: lookups.mock.calls.length - before });
      }
      for (const i of [5, 4, 2]) expect(answers.get(i), `token ${i}, cached`).toMatchObject({ status: 200, keyLookups: 0 });
      for (const i of [3, 0, 1]) {
        expect(answers.get(i)?.body, `token ${i}, evicted`).toEqual({ code: 401, message: 'no key to verify RS512 tokens' });
        expect(answers.get(i)?.keyLookups, `token ${i}, evicted: verified again`).toBeGreaterThan(0);
      }
    });
  });

  it('keeps the callers who come back through a flood of tokens seen once', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { tokenCache: { size: 3 } } }, async ({ app, url }, cacheSize) => {
      const mint = (name: string) => jwtIssuerToken(keys.default.privateKey, { userId: name, username: `${name}@example.com` });
      const regulars = ['ann', 'bob', 'eve'].map(mint);
      for (const token of [...regulars, ...regulars]) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBe(3);
      const once = Array.from({ length: 12 }, (_, i) => mint(`once-${i}`));
      for (const token of once) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBe(3);
      // Without keys from here: only what the cache holds still passes.
      hideKeys(app.get(KeyStore));
      for (const token of regulars) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(once.at(-1)!))).status, 'a token seen once was not kept').toBe(401);
    });
  });

  it('can be switched off: every request is verified in full', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { tokenCache: false } }, async ({ app, url }, cacheSize) => {
      const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      const store = app.get(KeyStore);
      const lookups = vi.spyOn(store, 'publicKeys');
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(lookups, 'key look-ups: one a request').toHaveBeenCalledTimes(2);
      expect(cacheSize()).toBeUndefined();
      // The token seen twice is not answered from memory: without its key it is refused.
      hideKeys(store);
      expect((await getJson(`${url}/hello`, bearer(token))).body).toEqual({ code: 401, message: 'no key to verify RS512 tokens' });
    });
  });
});

let decoratorControllers = 0;
let scopedControllers = 0;

@Controller('decorated')
@UseGuards(MicrokubesAuthGuard)
class DecoratedController {
  constructor() {
    decoratorControllers++;
  }

  @Get()
  get(@CurrentAuth() auth: Auth) {
    return { username: auth.username };
  }
}

@Controller('injected')
@UseGuards(MicrokubesAuthGuard)
class InjectedController {
  constructor(@Inject(MICROKUBES_AUTH) private readonly auth: Auth) {
    scopedControllers++;
  }

  @Get()
  get() {
    return { username: this.auth.username };
  }
}

describe('request scope is paid only by who injects MICROKUBES_AUTH', () => {
  it('a controller using @CurrentAuth() stays a singleton; one injecting MICROKUBES_AUTH is built per request', async () => {
    const keys = platformKeysDir();
    try {
      await withApp('express', { keysDir: keys.dir }, async (app) => {
        const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
        const [decoratedBefore, scopedBefore] = [decoratorControllers, scopedControllers];
        for (let i = 0; i < 5; i++) {
          expect((await getJson(`${app.url}/decorated`, bearer(token))).body).toEqual({ username: 'ann@example.com' });
          expect((await getJson(`${app.url}/injected`, bearer(token))).body).toEqual({ username: 'ann@example.com' });
        }
        expect(decoratorControllers - decoratedBefore).toBe(0);
        expect(scopedControllers - scopedBefore).toBe(5);
        const moduleRef = app.app.get(ModuleRef);
        expect(moduleRef.introspect(DecoratedController).scope).toBe(Scope.DEFAULT);
        expect(moduleRef.introspect(MicrokubesAuthGuard).scope).toBe(Scope.DEFAULT);
        expect(moduleRef.introspect(InjectedController).scope).toBe(Scope.REQUEST);
      }, [DecoratedController, InjectedController]);
    } finally {
      keys.remove();
    }
  });
});
