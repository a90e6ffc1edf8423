import { Controller, Get, UseGuards } from '@nestjs/common';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, MicrokubesAuthGuard, MicrokubesModule, MicrokubesOptionsError, type MicrokubesModuleOptions } from '../../lib/index.js';
import { jwtIssuerToken, KongAdminEmulator, platformKeysDir, rsaKeyPair, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, getJson, PLATFORMS, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

@Controller()
@UseGuards(MicrokubesAuthGuard)
class SecretController {
  @Get('secret')
  secret() {
    return { secret: true };
  }
}

@Controller()
class OwnHealthController {
  @Get('healthcheck')
  health() {
    return { mine: true };
  }
}

let keys: PlatformKeysDir;
const apps: RunningApp[] = [];
const emulators: KongAdminEmulator[] = [];
beforeAll(() => {
  keys = platformKeysDir();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
});
afterAll(() => keys.remove());

async function boot(platform: HttpPlatform, options: MicrokubesModuleOptions, controllers: Array<new () => object> = [SecretController]): Promise<RunningApp> {
  const app = await startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false, ...options })], controllers });
  apps.push(app);
  return app;
}

async function kong(): Promise<KongAdminEmulator> {
  const emulator = await KongAdminEmulator.start();
  emulators.push(emulator);
  return emulator;
}

const gatewayOf = (emulator: KongAdminEmulator) => ({ adminUrl: emulator.url, name: 'hello', paths: ['/hello'], host: 'hello.service.consul' });
const token = () => jwtIssuerToken(keys.default.privateKey, { userId: 'id-1', username: 'jane@example.com' });

describe.each(PLATFORMS)('GET /healthcheck (%s)', (platform) => {
  it('is on by default, public even behind a global guard, and reports the key store', async () => {
    const { url } = await boot(platform, { security: { globalGuard: true } });
    expect((await getJson(`${url}/secret`)).status).toBe(401);
    const { status, headers, body } = await getJson(`${url}/healthcheck`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({ status: 'ok', info: { keys: { status: 'up' } }, error: {}, details: { keys: { status: 'up' } } });
    expect((await fetch(`${url}/healthcheck`, { method: 'HEAD' })).status).toBe(200);
  });

  it('asks Kong once for any number of concurrent checks, and goes 503 when Kong stops answering', async () => {
    const emulator = await kong();
    const { url } = await boot(platform, { gateway: gatewayOf(emulator), healthCheck: { gatewayCacheTtl: 0 } });
    const before = emulator.calls.length;
    emulator.slow(200);
    const answers = await Promise.all(Array.from({ length: 25 }, () => getJson(`${url}/healthcheck`)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(answers[0]!.body.info.gateway).toEqual({ status: 'up', responseTime: expect.any(Number) });
    expect(emulator.calls.slice(before).map((call) => `${call.method} ${call.path}`)).toEqual(['GET /']);

    emulator.slow(0);
    await emulator.outage();
    const { status, body } = await getJson(`${url}/healthcheck`);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'error', info: { keys: { status: 'up' } }, error: { gateway: { status: 'down' } } });
  });

  it("reuses Kong's answer for a second by default", async () => {
    const emulator = await kong();
    const { url } = await boot(platform, { gateway: gatewayOf(emulator) });
    const before = emulator.calls.length;
    const first = await getJson(`${url}/healthcheck`);
    const second = await getJson(`${url}/healthcheck`);
    expect(emulator.calls.length - before).toBe(1);
    expect(first.body.info.gateway).not.toHaveProperty('cachedResponse');
    expect(second.body.info.gateway).toMatchObject({ status: 'up', cachedResponse: true });
  });

  it("tells the public no more of Kong's errors than their status", async () => {
    const emulator = await kong();
    const { url, logger } = await boot(platform, { gateway: gatewayOf(emulator), healthCheck: { gatewayCacheTtl: 0 } });
    emulator.failNext(1, 401);
    const { status, body } = await getJson(`${url}/healthcheck`);
    expect(status).toBe(503);
    expect(body.error.gateway).toEqual({ status: 'down', message: "Kong's admin API answered 401", responseTime: expect.any(Number) });
    expect(logger.lines.some((line) => line.startsWith(`Kong's admin API at ${emulator.url} does not answer as it should: GET / answered 401`))).toBe(true);
  });

  it('counts a Kong that answers too slowly as down', async () => {
    const emulator = await kong();
    const { url } = await boot(platform, { gateway: gatewayOf(emulator), healthCheck: { gatewayTimeout: 100, gatewayCacheTtl: 0 } });
    emulator.slow(1_000);
    const { status, body } = await getJson(`${url}/healthcheck`);
    expect(status).toBe(503);
    expect(body.error.gateway.message).toMatch(/timeout of 100ms exceeded|did not answer in time/);
  });

  it('sends the admin headers to Kong, as registration does', async () => {
    const emulator = await KongAdminEmulator.start({ adminToken: 's3cret' });
    emulators.push(emulator);
    const { url } = await boot(platform, { gateway: { ...gatewayOf(emulator), headers: { 'Kong-Admin-Token': 's3cret' } }, healthCheck: { public: false } });
    expect((await getJson(`${url}/healthcheck`, bearer(token()))).body.info.gateway).toMatchObject({ status: 'up', version: '3.9.1' });
    expect(emulator.calls.at(-1)!.headers['kong-admin-token']).toBe('s3cret');
  });

  it('asks for credentials when it is not public', async () => {
    const { url } = await boot(platform, { healthCheck: { public: false }, security: { realm: 'todo' } });
    const refused = await getJson(`${url}/healthcheck`);
    expect(refused).toMatchObject({ status: 401, body: { code: 401, message: 'missing bearer token' } });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="todo"');
    const forged = jwtIssuerToken(rsaKeyPair().privateKey, { userId: 'id-eve', username: 'eve@example.com' });
    const refusedForged = await getJson(`${url}/healthcheck`, bearer(forged));
    expect(refusedForged.status).toBe(401);
    expect(refusedForged.headers.get('www-authenticate')).toMatch(/^Bearer realm="todo", error="invalid_token", error_description="/);
    const allowed = await getJson(`${url}/healthcheck`, bearer(token()));
    expect(allowed.status).toBe(200);
    // To a caller it knows, it tells the key counts (and Kong's version).
    expect(allowed.body.info.keys).toEqual({ status: 'up', public: 3, private: 4, certificates: 1 });
  });

  it('moves to another path, or goes away', async () => {
    const moved = await boot(platform, { healthCheck: { path: '/internal/health' } });
    expect((await getJson(`${moved.url}/internal/health`)).status).toBe(200);
    expect((await getJson(`${moved.url}/healthcheck`)).status).toBe(404);
    const off = await boot(platform, { healthCheck: false });
    expect((await getJson(`${off.url}/healthcheck`)).status).toBe(404);
  });

  it('is served outside the global prefix', async () => {
    const app = await startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })] }, 0, { globalPrefix: 'api' });
    apps.push(app);
    expect((await getJson(`${app.url}/healthcheck`)).status).toBe(200);
  });
});

describe('GET /healthcheck and the key store', () => {
  it('is degraded (still 200) while changed key files cannot be loaded, and 503 with no public key left', async () => {
    const own = platformKeysDir();
    try {
      const app = await startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: own.dir, watchKeys: false })] });
      apps.push(app);
      const store = app.app.get(KeyStore);
      writeFileSync(join(own.dir, 'broken.pub'), '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n');
      expect(await store.reload()).toBe(false);
      const degraded = await getJson(`${app.url}/healthcheck`);
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({ status: 'degraded', info: { keys: { status: 'degraded' } } });
      expect(JSON.stringify(degraded.body)).not.toContain(own.dir);

      for (const file of ['broken.pub', 'default.pub', 'system.pub', 'public.pub']) rmSync(join(own.dir, file));
      expect(await store.reload()).toBe(true);
      const down = await getJson(`${app.url}/healthcheck`);
      expect(down.status).toBe(503);
      expect(down.body.error.keys).toEqual({ status: 'down', message: 'no public key is loaded: tokens cannot be verified' });
    } finally {
      own.remove();
    }
  });
});

describe.each(PLATFORMS)('GET /healthcheck beside an app route of the same path (%s)', (platform) => {
  it("leaves the path to the app's own route, with a warning", async () => {
    const { url, logger } = await boot(platform, {}, [OwnHealthController]);
    expect((await getJson(`${url}/healthcheck`)).body).toEqual({ mine: true });
    expect(logger.lines).toContain("GET /healthcheck is a route of the app: it answers there, not the module's (set healthCheck.path, or turn it off)");
  });
});

describe.each(PLATFORMS)('GET /version (%s)', (platform) => {
  it("answers the configured version to anyone, as the seed's add_version_endpoint", async () => {
    const { url } = await boot(platform, { version: '1.2.3', security: { globalGuard: true } });
    const { status, headers, body } = await getJson(`${url}/version`);
    expect({ status, body }).toEqual({ status: 200, body: { version: '1.2.3' } });
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    const head = await fetch(`${url}/version`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('is off without a version, or when switched off, and moves to another path', async () => {
    expect((await getJson(`${(await boot(platform, {})).url}/version`)).status).toBe(404);
    expect((await getJson(`${(await boot(platform, { version: '1.2.3', versionEndpoint: false })).url}/version`)).status).toBe(404);
    const moved = await boot(platform, { version: '1.2.3', versionEndpoint: { path: '/about/version' } });
    expect((await getJson(`${moved.url}/about/version`)).body).toEqual({ version: '1.2.3' });
  });

  it('fails start-up when it is asked for and no version is configured', async () => {
    await expect(boot(platform, { versionEndpoint: true })).rejects.toThrow(
      new MicrokubesOptionsError('version', 'must be set: the version endpoint is on (versionEndpoint)'),
    );
  });
});
