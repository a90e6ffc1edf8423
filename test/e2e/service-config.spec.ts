import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instanceAddress } from '../../lib/gateway/instance-address.js';
import { Auth, CurrentAuth, KeyFileError, MicrokubesAuthGuard, MicrokubesModule, ServiceConfigError, type ServiceConfig, type ServiceConfigSource } from '../../lib/index.js';
import { authServerToken, cookieOf, jwtIssuerToken, KongAdminEmulator, LoginBrowsers, platformKeysDir, rsaKeyPair, systemToken, TestIdentityProvider, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, freePort, getJson, PLATFORMS, rawStatus, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

@Controller('todo')
@UseGuards(MicrokubesAuthGuard)
class TodoController {
  @Get('items')
  items(@CurrentAuth() auth: Auth) {
    return { items: ['register with Kong'], for: auth.username, roles: auth.roles, strategy: auth.strategy };
  }

  @Post('items')
  add() {
    return { added: true };
  }

  @Get('public/info')
  info() {
    return { public: true };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'mk-service-config-'));
let keys: PlatformKeysDir;
const emulators: KongAdminEmulator[] = [];
const apps: RunningApp[] = [];
beforeAll(() => {
  keys = platformKeysDir();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
});
afterAll(() => {
  keys.remove();
  rmSync(scratch, { recursive: true, force: true });
});

async function kong(version = '3.9.1'): Promise<KongAdminEmulator> {
  const emulator = await KongAdminEmulator.start({ version });
  emulators.push(emulator);
  return emulator;
}

/** The config of PLATFORM.md section 6, on this test's keys and Kong. */
function platformConfig(adminUrl: string): ServiceConfig {
  return {
    service: { name: 'todo', port: 8080, paths: ['/todo'], virtual_host: 'todo.service.consul', weight: 10 },
    gatewayUrl: 'http://kong:8000',
    gatewayAdminUrl: adminUrl,
    version: '1.0.0',
    security: {
      keysDir: keys.dir,
      ignorePatterns: ['/todo/public/.*'],
      ignoreHttpMethods: ['OPTIONS'],
      jwt: { name: 'JWTSecurity', description: 'JWT security middleware', tokenUrl: 'http://kong:8000/jwt' },
      oauth2: { tokenUrl: 'http://kong:8000/oauth2/token', authorizeUrl: 'http://kong:8000/oauth2/authorize' },
      acl: {
        disable: false,
        policies: [
          {
            id: 'todo-read', effect: 'allow', subjects: ['<.+>'], resources: ['/todo/<.+>'], actions: ['api:read'],
            conditions: { roles: { type: 'RolesCondition', options: { values: ['user'] } } },
          },
        ],
      },
    },
    database: { dbName: 'mongodb', dbInfo: { host: 'mongo:27017' } },
  };
}

let written = 0;
function writeConfig(config: unknown): string {
  const file = join(scratch, `config-${written++}.json`);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

async function boot(platform: HttpPlatform, source: string | ServiceConfigSource): Promise<RunningApp> {
  const app = await startApp(platform, { imports: [MicrokubesModule.forServiceConfig(source)], controllers: [TodoController] });
  apps.push(app);
  return app;
}

const user = (roles: string[], name = roles.join('-') || 'nobody') =>
  jwtIssuerToken(keys.default.privateKey, { userId: `id-${name}`, username: `${name}@example.com`, roles });

describe.each(PLATFORMS)('a platform service config (%s)', (platform) => {
  it('registers the service with Kong as the file describes, this instance a weighted target of its upstream', async () => {
    const emulator = await kong();
    await boot(platform, writeConfig(platformConfig(emulator.url)));
    const [service] = emulator.kong3.services.values();
    expect(service).toMatchObject({ name: 'todo', host: 'todo.service.consul', port: 8080, protocol: 'http' });
    expect([...emulator.kong3.routes.values()]).toEqual([expect.objectContaining({ name: 'todo', paths: ['/todo'], service: { id: service!.id } })]);
    const address = instanceAddress();
    // Where this machine has no address but loopback, the target is left out (with a warning).
    expect(emulator.kong3.targetsOf('todo.service.consul')).toEqual(address ? [expect.objectContaining({ target: `${address}:8080`, weight: 10 })] : []);
  });

  it("secures the routes with the file's keys, strategies, public patterns and ACL policies", async () => {
    const emulator = await kong();
    const { url } = await boot(platform, writeConfig(platformConfig(emulator.url)));
    const items = `${url}/todo/items`;

    const asUser = await getJson(items, bearer(user(['user'], 'jane')));
    expect(asUser).toMatchObject({ status: 200, body: { for: 'jane@example.com', roles: ['user'], strategy: 'jwt' } });
    const oauth2 = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'id-joe', username: 'joe@example.com', roles: ['user'] });
    expect((await getJson(items, bearer(oauth2))).body).toMatchObject({ for: 'joe@example.com', strategy: 'oauth2' });

    // ACL: the policy allows users to read; nothing allows writes but the platform's system access.
    expect((await getJson(items, bearer(user(['guest'])))).status).toBe(403);
    expect((await getJson(items, { method: 'POST', ...bearer(user(['user'])) })).status).toBe(403);
    const system = systemToken(keys.system.privateKey);
    expect((await getJson(items, bearer(system))).status).toBe(200);
    expect((await getJson(items, { method: 'POST', ...bearer(system) })).status).toBe(201);

    expect(await getJson(`${url}/todo/public/info`)).toMatchObject({ status: 200, body: { public: true } });
    expect(await getJson(items)).toMatchObject({ status: 401, body: { code: 401, message: 'missing bearer token' } });
  });

  it('judges public patterns on the route that runs: no #fragment, absolute URL or encoding makes a secured route public', async () => {
    const emulator = await kong();
    const config = platformConfig(emulator.url);
    config.security!.ignorePatterns = ['/todo/public/.*', '.*\\.css'];
    const { url } = await boot(platform, writeConfig(config));
    const targets = ['/todo/items#x.css', '/todo/items#/todo/public/x', `${url}/todo/items#.css`, '/todo/items?x.css', '/todo/items;x.css', '//todo/items#.css'];
    // POST /todo/items asks nothing of the caller itself: only the guard stands in front of it.
    const statuses = await Promise.all(targets.map((target) => rawStatus(url, 'POST', target)));
    expect(Object.fromEntries(targets.map((target, i) => [target, statuses[i]]))).toEqual(
      // Refused by the firewall (400: a `#`, a `;`, an empty segment), or secured (401): never the handler.
      Object.fromEntries(targets.map((target) => [target, target.includes('#') || target.includes(';') || target.startsWith('//') ? 400 : 401])),
    );
    expect(await rawStatus(url, 'GET', '/todo/public/info')).toBe(200);
  });

  it('refuses forged, expired, tampered and malformed credentials', async () => {
    const emulator = await kong();
    const { url } = await boot(platform, writeConfig(platformConfig(emulator.url)));
    const forged = jwtIssuerToken(rsaKeyPair().privateKey, { userId: 'id-eve', username: 'eve@example.com', roles: ['user'] });
    const expired = jwtIssuerToken(keys.default.privateKey, { userId: 'id-old', username: 'old@example.com' }, 'api:read', { exp: 1_000 });
    const [header, payload, signature] = user(['user']).split('.');
    const admin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: 'admin' })).toString('base64url');
    for (const token of [forged, expired, `${header}.${admin}.${signature}`, 'not.a.jwt', `${header}.${payload}.`]) {
      const { status, body } = await getJson(`${url}/todo/items`, bearer(token));
      expect({ token: token.slice(0, 20), status, code: body.code }).toEqual({ token: token.slice(0, 20), status: 401, code: 401 });
    }
  });

  it('keeps callers apart under concurrent requests', async () => {
    const emulator = await kong();
    const { url } = await boot(platform, writeConfig(platformConfig(emulator.url)));
    const names = Array.from({ length: 40 }, (_, i) => `user${i}`);
    const answers = await Promise.all(names.map((name) => getJson(`${url}/todo/items`, bearer(user(['user'], name)))));
    expect(answers.map((answer) => answer.body.for)).toEqual(names.map((name) => `${name}@example.com`));
  });

  it('serves the version, and a health check that reports the keys and Kong', async () => {
    const emulator = await kong();
    const { url } = await boot(platform, { configFile: writeConfig(platformConfig(emulator.url)), healthCheck: { gatewayCacheTtl: 0 } });
    expect(await getJson(`${url}/version`)).toMatchObject({ status: 200, body: { version: '1.0.0' } });
    const healthy = await getJson(`${url}/healthcheck`);
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ status: 'ok', info: { keys: { status: 'up' }, gateway: { status: 'up' } }, error: {} });

    await emulator.downFor(1_500);
    const down = await getJson(`${url}/healthcheck`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'error',
      info: { keys: { status: 'up' } },
      error: { gateway: { status: 'down', message: expect.stringMatching(/^Kong is unreachable \(ECONN(REFUSED|RESET)\)$/) } },
    });
    // Kong's address is not told to whoever asks.
    expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');

    let status = 503;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await fetch(`${url}/healthcheck`)).status;
    }
    expect(status).toBe(200);
  });
});

describe('a platform service config with SAML', () => {
  it('serves the SP under rootURL, registers it with the IdP, and signs a browser in', async () => {
    const registered: Array<{ path?: string; type?: string; body: string }> = [];
    const idpServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        registered.push({ path: `${request.method} ${request.url}`, type: request.headers['content-type'], body });
        response.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => idpServer.listen(0, '127.0.0.1', resolve));
    try {
      const identityProviderUrl = `http://127.0.0.1:${(idpServer.address() as { port: number }).port}/saml/idp`;
      const port = await freePort();
      const rootURL = `http://127.0.0.1:${port}/todo`;
      const file = writeConfig({
        security: {
          keysDir: keys.dir,
          jwt: {},
          saml: { certFile: join(keys.dir, 'service.cert'), keyFile: join(keys.dir, 'service.key'), identityProviderUrl, rootURL },
        },
      });
      const app = await startApp('express', { imports: [MicrokubesModule.forServiceConfig(file)], controllers: [TodoController] }, port);
      apps.push(app);

      const entityId = `${rootURL}/saml/metadata`;
      const acsUrl = `${rootURL}/saml/acs`;
      // Registration runs in the background.
      for (let i = 0; i < 50 && registered.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(registered).toEqual([{ path: 'POST /saml/idp/services', type: 'application/xml', body: expect.stringContaining(`entityID="${entityId}"`) }]);
      const metadata = await fetch(entityId);
      expect(metadata.status).toBe(200);
      expect(await metadata.text()).toContain(`Location="${acsUrl}"`);

      const browsers = new LoginBrowsers();
      const { request, response } = await browsers.start(`${app.url}/todo/items`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(302);
      expect(request).toMatchObject({ destination: `${identityProviderUrl}/sso`, acsUrl, issuer: entityId, relayState: '/todo/items' });
      const idp = new TestIdentityProvider({ entityId: `${identityProviderUrl}/metadata`, keys: keys.saml });
      const xml = idp.signedResponse({ inResponseTo: request.id, destination: acsUrl, recipient: acsUrl, audience: entityId, uid: 'id-jane', username: 'jane@example.com', roles: ['user'] });
      const landed = await browsers.post(acsUrl, xml, request.relayState ?? undefined);
      expect(landed.status).toBe(302);
      expect(landed.headers.get('location')).toBe('/todo/items');
      const page = await getJson(`${app.url}/todo/items`, { headers: { cookie: cookieOf(landed)! } });
      expect(page).toMatchObject({ status: 200, body: { for: 'jane@example.com', strategy: 'saml' } });
    } finally {
      await new Promise((resolve) => idpServer.close(resolve));
    }
  });
});

describe('a platform service config with SAML, its IdP down', () => {
  it('starts and serves the SP, registering in the background with a warning', async () => {
    const idpPort = await freePort();
    const port = await freePort();
    const file = writeConfig({
      security: { keysDir: keys.dir, jwt: {}, saml: { identityProviderUrl: `http://127.0.0.1:${idpPort}/saml/idp`, rootURL: `http://127.0.0.1:${port}` } },
    });
    const app = await startApp('express', { imports: [MicrokubesModule.forServiceConfig(file)], controllers: [TodoController] }, port);
    apps.push(app);
    expect((await fetch(`${app.url}/saml/metadata`)).status).toBe(200);
    expect((await getJson(`${app.url}/todo/items`, bearer(user(['user'])))).status).toBe(200);
  });
});

describe('the service config file', () => {
  it('is found through SERVICE_CONFIG_FILE when no path is given', async () => {
    const emulator = await kong();
    process.env.SERVICE_CONFIG_FILE = writeConfig(platformConfig(emulator.url));
    try {
      const { url } = await boot('express', {});
      expect((await getJson(`${url}/version`)).body).toEqual({ version: '1.0.0' });
    } finally {
      delete process.env.SERVICE_CONFIG_FILE;
    }
  });

  it('gives way to API_GATEWAY_URL for the admin URL', async () => {
    const [inFile, fromEnvironment] = [await kong(), await kong()];
    process.env.API_GATEWAY_URL = fromEnvironment.url;
    try {
      await boot('express', writeConfig(platformConfig(inFile.url)));
    } finally {
      delete process.env.API_GATEWAY_URL;
    }
    expect(inFile.calls).toEqual([]);
    expect([...fromEnvironment.kong3.services.values()]).toEqual([expect.objectContaining({ name: 'todo' })]);
  });

  it("registers on the platform's Kong 0.14 through /apis", async () => {
    const emulator = await kong('0.14.1');
    await boot('express', writeConfig(platformConfig(emulator.url)));
    expect([...emulator.kong014.apis.values()]).toEqual([
      expect.objectContaining({ name: 'todo', uris: ['/todo'], upstream_url: 'http://todo.service.consul:8080' }),
    ]);
  });

  it('gives way to the options passed in code', async () => {
    const emulator = await kong();
    const { url } = await boot('fastify', {
      configFile: writeConfig(platformConfig(emulator.url)),
      version: '2.0.0',
      healthCheck: false,
      acl: { disable: true },
      security: { publicRoutes: ['/todo/items'] },
      gateway: { tags: ['team-todo'] },
    });
    expect((await getJson(`${url}/version`)).body).toEqual({ version: '2.0.0' });
    expect((await getJson(`${url}/healthcheck`)).status).toBe(404);
    expect((await getJson(`${url}/todo/public/info`)).status).toBe(401);
    expect((await getJson(`${url}/todo/items`, { method: 'POST' })).status).toBe(201);
    expect([...emulator.kong3.services.values()][0]).toMatchObject({ name: 'todo', tags: expect.arrayContaining(['team-todo']) });
  });

  it('runs without security when the file disables it, unless the code turns it back on', async () => {
    const file = writeConfig({ security: { disable: true, keysDir: keys.dir, jwt: {}, acl: { policies: [] } } });
    const off = await boot('express', file);
    expect(await getJson(`${off.url}/todo/public/info`)).toMatchObject({ status: 200 });
    // No caller: a handler that asks for one still gets 401.
    expect((await getJson(`${off.url}/todo/items`)).status).toBe(401);
    expect((await getJson(`${off.url}/todo/items`, { method: 'POST' })).status).toBe(201);

    const on = await boot('express', { configFile: file, security: { disable: false } });
    expect((await getJson(`${on.url}/todo/public/info`)).status).toBe(401);
    expect((await getJson(`${on.url}/todo/items`, { method: 'POST', ...bearer(user(['user'])) })).status).toBe(403);
    expect((await getJson(`${on.url}/todo/items`, { method: 'POST', ...bearer(systemToken(keys.system.privateKey)) })).status).toBe(201);
  });

  it('does not let a user named "system" pass as the platform\'s system', async () => {
    const { url } = await boot('express', writeConfig({ security: { keysDir: keys.dir, jwt: {}, acl: { policies: [] } } }));
    const impostor = jwtIssuerToken(keys.default.privateKey, { userId: 'system', username: 'system', roles: ['user'] });
    expect((await getJson(`${url}/todo/items`, bearer(impostor))).status).toBe(403);
    expect((await getJson(`${url}/todo/items`, bearer(systemToken(keys.system.privateKey)))).status).toBe(200);
  });

  describe('fails start-up, naming the file and the field', () => {
    const startUpError = async (source: string | ServiceConfigSource): Promise<Error> => {
      try {
        await boot('express', source);
      } catch (error) {
        return error as Error;
      }
      throw new Error('the app started');
    };

    it.each<[string, (url: string) => unknown, string]>([
      ['invalid JSON', () => '{\n  "service": {"name": "todo",}\n}', 'is not valid JSON: property name expected at line 2, column 30'],
      ['a port that is a string', (url) => ({ ...platformConfig(url), service: { ...platformConfig(url).service, port: '8080' } }), '"service.port" must be a whole number from 1 to 65535 (got "8080")'],
      ['a pattern that is no regular expression', (url) => ({ ...platformConfig(url), security: { ...platformConfig(url).security, ignorePatterns: ['/todo/(public'] } }), '"security.ignorePatterns[0]" is not a valid regular expression'],
      ['a policy with no effect', (url) => ({ security: { keysDir: keys.dir, jwt: {}, acl: { policies: [{ id: 'p', subjects: ['<.+>'], resources: ['/'], actions: ['api:read'] }] } }, gatewayAdminUrl: url }), '"security.acl.policies[0] (p).effect" must be "allow" or "deny"'],
      ['a misspelt policy field, which would drop its conditions', (url) => ({ security: { keysDir: keys.dir, jwt: {}, acl: { policies: [{ id: 'p', effect: 'allow', subjects: ['<.+>'], resources: ['/'], actions: ['api:read'], condition: {} }] } }, gatewayAdminUrl: url }), '"security.acl.policies[0] (p).condition" is not an option; did you mean "conditions"?'],
      ['a service without an admin URL', () => ({ service: { name: 'todo', paths: ['/todo'], virtual_host: 'todo' }, security: { keysDir: keys.dir, jwt: {} } }), '"gatewayAdminUrl" is not set, and neither is the API_GATEWAY_URL environment variable'],
      ['a pattern that cannot be matched in linear time', (url) => ({ ...platformConfig(url), security: { ...platformConfig(url).security, ignorePatterns: ['/static/(?!private).*'] } }), '"security.ignorePatterns[0]" "/static/(?!private).*" is not a valid regular expression here: lookarounds'],
    ])('%s', async (_case, config, problem) => {
      const emulator = await kong();
      const file = writeConfig(config(emulator.url));
      const error = await startUpError(file);
      expect(error).toBeInstanceOf(ServiceConfigError);
      expect(error.message).toContain(`Service config ${file}: ${problem}`);
      expect(emulator.calls).toEqual([]);
    });

    it('a file that is not there, or none at all', async () => {
      const missing = join(scratch, 'missing.json');
      expect((await startUpError(missing)).message).toBe(`Service config ${missing}: does not exist`);
      expect((await startUpError({ serviceName: 'todo' })).message).toBe('Service config /run/secrets/microservice_todo_config.json: does not exist');
      expect((await startUpError({})).message).toMatch(/no file given: pass its path, set SERVICE_CONFIG_FILE/);
    });

    it('a keys directory that is not there', async () => {
      const error = await startUpError(writeConfig({ security: { keysDir: join(scratch, 'no-keys'), jwt: {} } }));
      expect(error).toBeInstanceOf(KeyFileError);
      expect(error.message).toContain(join(scratch, 'no-keys'));
    });
  });
});
