import { Controller, Get, Inject, Scope, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth, CurrentAuth, MICROKUBES_AUTH, MicrokubesAuthenticator, MicrokubesAuthGuard, MicrokubesModule, type MicrokubesModuleOptions } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { platformKeysDir, rsaKeyPair, type PlatformKeys } from '../support/platform-keys.js';
import { authServerToken, b64url, jwtIssuerToken, signClaims } from '../support/platform-tokens.js';
import { bearer, getJson, PLATFORMS, withRunningApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const now = () => Math.floor(Date.now() / 1000);
const user = { userId: 'u1', username: 'ann@example.com', roles: 'user', scopes: 'api:read' };

function withApp(platform: HttpPlatform, options: MicrokubesModuleOptions, run: (app: RunningApp, cacheSize: () => number | undefined) => Promise<void>, controllers: unknown[] = [HelloController]) {
  return withRunningApp(platform, { imports: [MicrokubesModule.forRoot(options)], controllers: controllers as [] }, (app) =>
    run(app, () => app.app.get(MicrokubesAuthenticator).tokenCache?.size));
}

describe.each(PLATFORMS)('verified-token cache (%s)', (platform) => {
  let keys: PlatformKeys;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  it('keeps verified tokens, JWT and OAuth2, and answers them the same', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const signIn = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      const access = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u2', username: 'bob@example.com' });
      const first = [await getJson(`${url}/hello`, bearer(signIn)), await getJson(`${url}/hello`, bearer(access))];
      expect(cacheSize()).toBe(2);
      const again = [await getJson(`${url}/hello`, bearer(signIn)), await getJson(`${url}/hello`, bearer(access))];
      expect(again.map((r) => r.body)).toEqual(first.map((r) => r.body));
      expect(again[1]!.body.auth).toMatchObject({ strategy: 'oauth2', clientId: 'c1' });
    });
  });

  it('refuses an expired token even when it is cached', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }, cacheSize) => {
      const token = signClaims(keys.default.privateKey, { ...user, exp: now() + 2 });
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, (now() + 2 - Date.now() / 1000) * 1000 + 1_100));
      expect((await getJson(`${url}/hello`, bearer(token))).body).toEqual({ code: 401, message: 'token expired' });
      expect(cacheSize()).toBe(0);
    });
  });

  it('refuses a cached token of a key that was removed from the key store', async () => {
    const extra = rsaKeyPair();
    writeFileSync(join(keys.dir, 'extra.pub'), extra.publicPem);
    await withApp(platform, { keysDir: keys.dir }, async ({ url }) => {
      const token = signClaims(extra.privateKey, { ...user, exp: now() + 60 });
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
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
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
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

  it('holds its LRU bound', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { tokenCache: { size: 3 } } }, async ({ url }, cacheSize) => {
      for (let i = 0; i < 5; i++) {
        const token = jwtIssuerToken(keys.default.privateKey, { userId: `u${i}`, username: `u${i}@example.com` });
        expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      }
      expect(cacheSize()).toBe(3);
    });
  });

  it('can be switched off', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { tokenCache: false } }, async ({ url }, cacheSize) => {
      const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
      expect(cacheSize()).toBeUndefined();
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
