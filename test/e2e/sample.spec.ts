import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppModule, SAMPLE_SERVICE_CONFIG } from '../../sample/src/app.module.js';
import { demoToken, ensureDevKeys } from '../../sample/src/dev-keys.js';
import { gatewayFromEnvironment } from '../../sample/src/gateway-settings.js';
import { authServerToken, jwtIssuerToken, KongAdminEmulator, platformKeysDir, systemToken, type PlatformKeysDir } from '../../lib/testing/index.js';
import { rpcServerOptions } from '../../sample/src/rpc-settings.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { bearer, freePort, getJson, rawRequest, startApp, type RunningApp } from '../support/test-app.js';
import { createClient } from 'graphql-ws';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { MicrokubesIoAdapter } from '../../lib/socket.io/index.js';

describe('the sample service, on platform keys', () => {
  let keys: PlatformKeysDir;
  let running: RunningApp;

  beforeAll(async () => {
    keys = platformKeysDir();
    process.env.MICROKUBES_KEYS_DIR = keys.dir;
    process.env.RPC_PORT = String(await freePort());
    // As main.ts does: socket.io connections authenticated at their handshake, and the message
    // handlers over TCP.
    running = await startApp('express', { imports: [AppModule] }, 0, {
      setup: (app) => app.useWebSocketAdapter(new MicrokubesIoAdapter(app)),
      microservices: [rpcServerOptions()],
    });
  });
  afterAll(async () => {
    delete process.env.MICROKUBES_KEYS_DIR;
    delete process.env.RPC_PORT;
    await running?.close();
    keys?.remove();
  });

  it('greets the caller of GET /hello with the Auth it was given', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, {
      userId: 'u-1', username: 'jane@example.com', roles: ['user', 'admin'], organizations: ['acme'], namespaces: ['dev'],
    });
    const { status, body } = await getJson(`${running.url}/hello`, bearer(token));
    expect(status).toBe(200);
    expect(body).toEqual({
      message: 'Hello jane@example.com from NestJS service on Microkubes',
      auth: { userId: 'u-1', username: 'jane@example.com', roles: ['user', 'admin'], organizations: ['acme'], namespaces: ['dev'], scopes: ['api:read'] },
    });
  });

  it('greets the same token over GraphQL (query and graphql-ws subscription) and socket.io, and refuses no token', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'jane@example.com' });
    const greeting = 'Hello jane@example.com from NestJS service on Microkubes';
    const query = (headers: Record<string, string>) =>
      getJson(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ hello }' }) });
    expect((await query({ authorization: `Bearer ${token}` })).body).toEqual({ data: { hello: greeting } });
    expect((await query({})).body.errors[0]).toMatchObject({ message: 'missing bearer token', extensions: { code: 'UNAUTHENTICATED' } });

    const client = createClient({ url: `${running.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    try {
      const first = await client.iterate<{ greetings: string }>({ query: 'subscription { greetings }' }).next();
      expect(first.value?.data).toEqual({ greetings: 'Hello jane@example.com, #1' });
    } finally {
      await client.dispose();
    }

    const socket = io(running.url, { auth: { token }, transports: ['websocket'], reconnection: false });
    const anonymous = io(running.url, { transports: ['websocket'], reconnection: false });
    const refused = new Promise<Error>((resolve) => anonymous.once('connect_error', resolve));
    try {
      const answer = new Promise((resolve) => socket.once('hello', resolve));
      socket.emit('hello');
      expect(await answer).toBe(greeting);
      expect(await refused).toMatchObject({ message: 'missing bearer token' });
    } finally {
      socket.close();
      anonymous.close();
    }
  });

  it('calls itself over TCP with the caller relayed: GET /hello/relayed answers what the message handler saw', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-7', username: 'joe@example.com' });
    const { status, body } = await getJson(`${running.url}/hello/relayed`, bearer(token));
    expect(status).toBe(200);
    expect(body).toEqual({ message: 'Hello joe@example.com, over TCP', userId: 'u-7' });
    expect((await getJson(`${running.url}/hello/relayed`)).status).toBe(401);
  });

  it('takes OAuth2 access tokens too', async () => {
    const token = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u-2', username: 'joe@example.com' });
    expect((await getJson(`${running.url}/hello`, bearer(token))).body.message).toBe('Hello joe@example.com from NestJS service on Microkubes');
  });

  it('guards /admin by role, /reports by grant and /todos by the policies of config/acl.json', async () => {
    const token = (roles: string[]) => jwtIssuerToken(keys.default.privateKey, { userId: `u-${roles.join('-')}`, username: `${roles.join('-') || 'none'}@example.com`, roles });
    const statuses: Record<string, number> = {};
    for (const [who, roles] of Object.entries({ user: ['user'], auditor: ['auditor'], admin: ['admin'], none: [] as string[] })) {
      for (const path of ['/admin', '/reports', '/todos', '/todos/7', '/todos/13']) {
        statuses[`${who} ${path}`] = (await fetch(`${running.url}${path}`, bearer(token(roles)))).status;
      }
    }
    expect(statuses).toEqual({
      'user /admin': 403, 'user /reports': 403, 'user /todos': 200, 'user /todos/7': 200, 'user /todos/13': 403,
      'auditor /admin': 403, 'auditor /reports': 200, 'auditor /todos': 403, 'auditor /todos/7': 403, 'auditor /todos/13': 403,
      'admin /admin': 200, 'admin /reports': 200, 'admin /todos': 200, 'admin /todos/7': 200, 'admin /todos/13': 403,
      'none /admin': 403, 'none /reports': 403, 'none /todos': 403, 'none /todos/7': 403, 'none /todos/13': 403,
    });
    expect((await getJson(`${running.url}/admin`)).status).toBe(401);
    // /admin is the @Roles example: the policies let every signed-in caller reach it, and the role decides.
    expect((await getJson(`${running.url}/admin`, bearer(token(['user'])))).body).toEqual({ code: 403, message: 'access denied: requires the role admin' });
  });

  it('keeps todo 13 sealed whatever its spelling: the deny on /todos/13, the rest never read as 13', async () => {
    const as = (roles: string[]) => ({ authorization: `Bearer ${jwtIssuerToken(keys.default.privateKey, { userId: 'u-s', username: 's@example.com', roles })}` });
    for (const roles of [['user'], ['admin'], ['user', 'admin']]) {
      expect((await rawRequest(running.url, 'GET', '/todos/13', as(roles))).status, roles.join()).toBe(403);
      for (const spelling of ['/todos/013', '/todos/+13', '/todos/13.0', '/todos/0x0d', '/todos/13%20', '/todos/%2013', '/todos/1e1', '/todos/13%09']) {
        const { status, body } = await rawRequest(running.url, 'GET', spelling, as(roles));
        // 403 where a policy denies the spelling itself, 400 where the firewall refuses it, else the pipe's 404: never todo 13.
        expect([400, 403, 404], `${roles} ${spelling}: ${JSON.stringify(body)}`).toContain(status);
        expect(body.id, spelling).toBeUndefined();
      }
    }
    expect((await rawRequest(running.url, 'GET', '/todos/7', as(['user']))).body).toEqual({ id: 7, title: 'Todo 7' });
  });

  it('keeps GET /healthcheck, /version and /public/about public and refuses /hello without a token', async () => {
    expect(await getJson(`${running.url}/healthcheck`)).toMatchObject({ status: 200, body: { status: 'ok', info: { keys: { status: 'up' } } } });
    expect(await getJson(`${running.url}/version`)).toMatchObject({ status: 200, body: { version: '1.0.0' } });
    expect(await getJson(`${running.url}/public/about`)).toMatchObject({ status: 200, body: { service: 'hello-service' } });
    expect(await getJson(`${running.url}/hello`)).toMatchObject({ status: 401, body: { code: 401, message: 'missing bearer token' } });
  });

  it('answers POST /session/logout with 501 when token revocation is off (no REVOCATION_REDIS_URL)', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-off', username: 'off@example.com' });
    expect(await getJson(`${running.url}/session/logout`, { ...bearer(token), method: 'POST' })).toMatchObject({ status: 501 });
  });
});

describe('the sample service, with token revocation on the Redis at REVOCATION_REDIS_URL', () => {
  let keys: PlatformKeysDir;
  let redis: RedisServer;
  let running: RunningApp;

  beforeAll(async () => {
    keys = platformKeysDir();
    redis = await startRedis();
    Object.assign(process.env, { MICROKUBES_KEYS_DIR: keys.dir, RPC_PORT: String(await freePort()), REVOCATION_REDIS_URL: redis.url });
    running = await startApp('fastify', { imports: [AppModule] }, 0, { microservices: [rpcServerOptions()] });
  });
  afterAll(async () => {
    for (const name of ['MICROKUBES_KEYS_DIR', 'RPC_PORT', 'REVOCATION_REDIS_URL']) delete process.env[name];
    await running?.close();
    await redis?.stop();
    keys?.remove();
  });

  it('logs a token out with POST /session/logout, and every older token of the user with /session/logout-everywhere', async () => {
    const user = { userId: `sample-${Date.now()}`, username: 'jane@example.com' };
    const [first, second, third] = [1, 2, 3].map(() => jwtIssuerToken(keys.default.privateKey, user, 'api:read', { iat: Math.floor(Date.now() / 1000) - 10 }));
    expect((await getJson(`${running.url}/hello`, bearer(first!))).status).toBe(200);
    expect((await getJson(`${running.url}/session/logout`, { ...bearer(first!), method: 'POST' })).status).toBe(204);
    expect(await getJson(`${running.url}/hello`, bearer(first!))).toMatchObject({ status: 401, body: { message: 'token revoked' } });
    expect((await getJson(`${running.url}/hello`, bearer(second!))).status).toBe(200);
    expect((await getJson(`${running.url}/session/logout-everywhere`, { ...bearer(second!), method: 'POST' })).status).toBe(204);
    for (const token of [second!, third!]) expect(await getJson(`${running.url}/hello`, bearer(token))).toMatchObject({ status: 401, body: { message: 'token revoked' } });
  });
});

describe('the sample service, on embedded development keys', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mk-sample-')), 'keys');
  afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('generates a key pair once, keeps the private key to its owner, and mints a demo token that the module accepts', async () => {
    ensureDevKeys(dir);
    const firstMtime = statSync(join(dir, 'default.pub')).mtimeMs;
    ensureDevKeys(dir);
    expect(statSync(join(dir, 'default.pub')).mtimeMs).toBe(firstMtime);
    expect(statSync(join(dir, 'default')).mode & 0o777).toBe(0o600);

    process.env.MICROKUBES_KEYS_DIR = dir;
    const running = await startApp('fastify', { imports: [AppModule] });
    try {
      const { status, body } = await getJson(`${running.url}/hello`, bearer(demoToken(dir)));
      expect(status).toBe(200);
      expect(body.auth).toEqual({
        userId: 'demo-user-1', username: 'demo@example.com', roles: ['user'], organizations: ['demo-org'], namespaces: ['demo'], scopes: ['api:read'],
      });
    } finally {
      delete process.env.MICROKUBES_KEYS_DIR;
      await running.close();
    }
  });
});

describe('the sample service, registering with Kong', () => {
  const variables = ['API_GATEWAY_URL', 'SERVICE_NAME', 'SERVICE_HOST', 'SERVICE_PORT', 'SERVICE_PATHS', 'SERVICE_TARGET', 'MICROKUBES_KEYS_DIR'];
  afterEach(() => {
    for (const name of variables) delete process.env[name];
  });

  it('registers hello-service from its environment when API_GATEWAY_URL is set, and leaves at shutdown', async () => {
    const kong = await KongAdminEmulator.start();
    const keys = platformKeysDir();
    Object.assign(process.env, {
      API_GATEWAY_URL: kong.url, SERVICE_PORT: '8081', SERVICE_PATHS: '/hello, /greetings', SERVICE_TARGET: '10.1.2.3:8081', MICROKUBES_KEYS_DIR: keys.dir,
    });
    try {
      const running = await startApp('express', { imports: [AppModule] });
      expect([...kong.kong3.services.values()]).toEqual([expect.objectContaining({ name: 'hello-service', host: 'hello-service.service.consul', port: 8081 })]);
      expect([...kong.kong3.routes.values()]).toEqual([expect.objectContaining({ paths: ['/hello', '/greetings'] })]);
      expect(kong.kong3.targetsOf('hello-service.service.consul').map((t) => t.target)).toEqual(['10.1.2.3:8081']);
      await running.close();
      expect(kong.kong3.targetsOf('hello-service.service.consul')).toEqual([]);
    } finally {
      await kong.stop();
      keys.remove();
    }
  });

  it('registers nothing without API_GATEWAY_URL', async () => {
    expect(gatewayFromEnvironment({})).toBeUndefined();
    expect(gatewayFromEnvironment({ API_GATEWAY_URL: 'http://kong:8001', SERVICE_NAME: 'todo', PORT: '8080' })).toEqual({
      adminUrl: 'http://kong:8001', name: 'todo', host: 'todo.service.consul', port: 8080, paths: ['/hello'], target: undefined,
    });
  });
});

describe('the sample service, from the platform service config in SERVICE_CONFIG_FILE', () => {
  afterEach(() => {
    for (const name of ['SERVICE_CONFIG_FILE', 'API_GATEWAY_URL', 'MICROKUBES_KEYS_DIR']) delete process.env[name];
    vi.resetModules();
  });

  it('registers, secures and answers as sample/config/service-config.json says, on the keys and Kong of its environment', async () => {
    const kong = await KongAdminEmulator.start();
    const keys = platformKeysDir();
    Object.assign(process.env, { SERVICE_CONFIG_FILE: SAMPLE_SERVICE_CONFIG, API_GATEWAY_URL: kong.url, MICROKUBES_KEYS_DIR: keys.dir });
    // The module picks its set-up when it is loaded.
    vi.resetModules();
    const { AppModule: ConfiguredModule } = await import('../../sample/src/app.module.js');
    try {
      const running = await startApp('express', { imports: [ConfiguredModule] });
      try {
        expect([...kong.kong3.services.values()]).toEqual([expect.objectContaining({ name: 'hello-service', host: 'hello-service.service.consul', port: 3000 })]);
        expect([...kong.kong3.routes.values()]).toEqual([expect.objectContaining({ paths: ['/hello', '/admin', '/reports', '/todos', '/graphql', '/socket.io', '/session'] })]);
        expect((await getJson(`${running.url}/version`)).body).toEqual({ version: '1.0.0' });
        expect((await getJson(`${running.url}/healthcheck`)).body.info).toMatchObject({ keys: { status: 'up' }, gateway: { status: 'up' } });
        expect((await getJson(`${running.url}/public/about`)).status).toBe(200);
        const as = (roles: string[]) => bearer(jwtIssuerToken(keys.default.privateKey, { userId: `u-${roles}`, username: `${roles}@example.com`, roles }));
        expect((await getJson(`${running.url}/todos`, as(['user']))).status).toBe(200);
        expect((await getJson(`${running.url}/todos/13`, as(['user']))).status).toBe(403);
        expect((await getJson(`${running.url}/reports`, as(['auditor']))).status).toBe(200);
        // The platform's system token passes the policies (system-access), as with the Go services.
        expect((await getJson(`${running.url}/todos`, bearer(systemToken(keys.system.privateKey)))).status).toBe(200);
      } finally {
        await running.close();
      }
    } finally {
      await kong.stop();
      keys.remove();
    }
  });
});
