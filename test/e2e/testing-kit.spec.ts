import { Controller, Get, Header, UseGuards, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth, CurrentAuth, MicrokubesAuthGuard, Roles, RolesGuard, ServiceCalls, UseRoles, AccessControlGuard } from 'microkubes-nestjs';
import { KongAdminEmulator, LoginBrowsers, MicrokubesTestingKit, TEST_USER } from 'microkubes-nestjs/testing';
import { PLATFORMS, type HttpPlatform } from '../support/test-app.js';

/**
 * The testing kit as a service's own tests use it: through its package entry point, every guard
 * real, offline, on both adapters.
 */
@Controller('admin')
@UseGuards(MicrokubesAuthGuard, RolesGuard)
class AdminController {
  @Get() @Roles('admin') get(@CurrentAuth() auth: Auth) { return { admin: auth.username }; }
}

/** No guards of its own: for security.globalGuard. */
@Controller('me')
class MeController {
  @Get() get(@CurrentAuth() auth: Auth) { return { userId: auth.userId, roles: auth.roles, scopes: auth.scopes, clientId: auth.clientId ?? null }; }
}

@Controller('reports')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class ReportsController {
  @Get() @UseRoles({ resource: 'reports', action: 'read' }) get() { return { reports: [] }; }
}

@Controller('todo')
@UseGuards(MicrokubesAuthGuard)
class TodoController {
  @Get('items') items(@CurrentAuth() auth: Auth) { return { user: auth.username }; }
  @Get('public/info') info() { return { public: true }; }
  @Get('page') @Header('content-type', 'text/html; charset=utf-8') page(@CurrentAuth() auth: Auth) { return `<p>${auth.username}</p>`; }
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}
const create = (moduleRef: { createNestApplication(adapter?: never): INestApplication }, platform: HttpPlatform) =>
  platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter() as never) : moduleRef.createNestApplication();

describe.each(PLATFORMS)('the testing kit (%s)', (platform) => {
  const kit = MicrokubesTestingKit.create();
  afterAll(() => kit.remove());

  it('secures a guarded controller with @Roles in five lines of set-up: 200 for an admin, 403 for a user, 401 without a token', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [AdminController] }).compile();
    const app = create(moduleRef, platform);
    const url = await listen(app);
    try {
      expect((await fetch(`${url}/admin`, kit.bearer({ roles: ['admin'] }))).status).toBe(200);
      expect((await fetch(`${url}/admin`, kit.bearer())).status).toBe(403);
      expect((await fetch(`${url}/admin`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('mints what the platform mints, and the bad tokens a service must refuse', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module({ security: { globalGuard: true } })], controllers: [MeController] }).compile();
    const app = create(moduleRef, platform);
    const url = await listen(app);
    const me = async (token: string) => {
      const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.json() };
    };
    try {
      expect(await me(kit.token({ userId: 'u-7', roles: ['user', 'admin'], scopes: 'api:read api:write' }))).toEqual({
        status: 200, body: { userId: 'u-7', roles: ['user', 'admin'], scopes: ['api:read', 'api:write'], clientId: null },
      });
      expect(await me(kit.systemToken())).toEqual({ status: 200, body: { userId: 'system', roles: ['system'], scopes: ['api:read'], clientId: null } });
      expect(await me(kit.oauth2Token({ clientId: 'billing' }))).toEqual({ status: 200, body: { userId: TEST_USER.userId, roles: ['user'], scopes: ['api:read', 'api:write'], clientId: 'billing' } });
      const refused = {
        expired: kit.expiredToken(), notYetValid: kit.notYetValidToken(), foreign: kit.foreignToken(), tampered: kit.tamperedToken(), unsigned: kit.unsignedToken(),
      };
      const statuses = Object.fromEntries(await Promise.all(Object.entries(refused).map(async ([name, token]) => [name, (await me(token)).body.message])));
      expect(statuses).toEqual({
        expired: 'token expired', notYetValid: 'token not yet valid (nbf)', foreign: 'invalid signature', tampered: 'invalid signature', unsigned: 'unsigned tokens are not accepted',
      });
    } finally {
      await app.close();
    }
  });

  it('keeps grants and policies real', async () => {
    const module = kit.module({
      acl: {
        grants: { admin: { reports: { 'read:any': ['*'] } } },
        policies: [{ id: 'reports', effect: 'allow', subjects: ['<.+>'], resources: ['/reports'], actions: ['api:read'], conditions: { roles: { type: 'RolesCondition', options: { values: ['admin', 'user'] } } } }],
      },
    });
    const moduleRef = await Test.createTestingModule({ imports: [module], controllers: [ReportsController] }).compile();
    const app = create(moduleRef, platform);
    const url = await listen(app);
    try {
      expect((await fetch(`${url}/reports`, kit.bearer({ roles: ['admin'] }))).status).toBe(200);
      expect((await fetch(`${url}/reports`, kit.bearer({ roles: ['user'] }))).status).toBe(403);
      expect((await fetch(`${url}/reports`, kit.bearer({ roles: ['guest'] }))).json()).resolves.toEqual({ code: 403, message: 'access denied: no policy allows this request' });
    } finally {
      await app.close();
    }
  });
});

describe("the testing kit with a platform service config: Kong and the IdP out of the way", () => {
  const kit = MicrokubesTestingKit.create();
  const config = fileURLToPath(new URL('../fixtures/service-config/todo.json', import.meta.url));
  afterAll(() => kit.remove());

  it.each(PLATFORMS.filter((platform) => platform === 'express'))('starts offline from PLATFORM.md\'s todo config, its policies real, its SAML SP on the kit\'s keys (%s)', async (platform) => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.serviceConfig(config)], controllers: [TodoController] }).compile();
    const app = create(moduleRef, platform);
    // Without the kit the app would register with Kong at http://kong:8001 and fail to start.
    const url = await listen(app);
    try {
      expect((await fetch(`${url}/todo/public/info`)).status).toBe(200);
      expect((await fetch(`${url}/todo/items`, kit.bearer())).status).toBe(200);
      expect((await fetch(`${url}/todo/items`, kit.bearer({ roles: ['guest'] }))).status).toBe(403);
      // A browser's SAML session, sealed as the ACS seals it.
      const cookie = kit.samlSessionCookie(app, { userId: 'jane', username: 'jane@example.com' });
      expect(await (await fetch(`${url}/todo/page`, { headers: { cookie, accept: 'text/html' } })).text()).toBe('<p>jane@example.com</p>');
      // And a real login, against the in-process IdP that signs with the kit's SAML pair.
      const browser = new LoginBrowsers();
      const { request } = await browser.start(`${url}/todo/page`, { headers: { accept: 'text/html' } });
      const idp = kit.identityProvider('http://kong:8000/saml/idp/metadata');
      const acs = `${url}/todo/saml/acs`;
      const signed = idp.signedResponse({ inResponseTo: request.id, destination: request.acsUrl, recipient: request.acsUrl, audience: request.issuer, uid: 'joe', username: 'joe@example.com', roles: ['user'] });
      const login = await browser.post(acs, signed, request.relayState ?? undefined);
      expect(login.status).toBe(302);
    } finally {
      await app.close();
    }
  });

  it('keeps Kong registration when a test asks for it, against the emulator', async () => {
    const kong = await KongAdminEmulator.start();
    process.env.API_GATEWAY_URL = kong.url;
    try {
      const moduleRef = await Test.createTestingModule({ imports: [kit.serviceConfig(config, { gateway: true })], controllers: [TodoController] }).compile();
      const app = moduleRef.createNestApplication();
      await listen(app);
      await app.close();
      expect([...kong.kong3.services.values()]).toEqual([expect.objectContaining({ name: 'todo', host: 'todo.service.consul', port: 8080 })]);
      expect([...kong.kong3.routes.values()][0]).toMatchObject({ paths: ['/todo'] });
    } finally {
      delete process.env.API_GATEWAY_URL;
      await kong.stop();
    }
  });
});

describe('the kit for the calls a service makes and the message handlers it has', () => {
  const kit = MicrokubesTestingKit.create();
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module({ serviceCalls: { serviceName: 'orders' }, security: { globalGuard: true } })], controllers: [MeController] })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    url = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
    kit.remove();
  });

  it('runs code as a caller: ServiceCalls relays that caller, verified by the app, with the request id given', async () => {
    const token = kit.token({ userId: 'relayed-user' });
    const headers = await kit.asCaller(app, token, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return app.get(ServiceCalls).headers('relay');
    }, 'trace-7');
    expect(headers).toEqual({ authorization: `Bearer ${token}`, 'x-request-id': 'trace-7' });
    await expect(kit.asCaller(app, kit.expiredToken(), () => 'ran')).rejects.toThrow('the app refuses the token: token expired');
  });

  it("mints another service's system token, which the module takes as the caller system", async () => {
    const token = kit.serviceSystemToken('billing');
    const { body } = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (response) => ({ body: await response.json() }));
    expect(body).toMatchObject({ userId: 'system', roles: ['system'], scopes: ['api:read'] });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as unknown;
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
  });
});

describe('the kit stays out of production code', () => {
  it('is reachable from microkubes-nestjs/testing only: nothing the main entry point imports is part of it', async () => {
    const { readFileSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/from '(\.[^']+)\.js'/g)) visit(join(dirname(file), `${specifier}.ts`));
    };
    visit(fileURLToPath(new URL('../../lib/index.ts', import.meta.url)));
    expect(seen.size).toBeGreaterThan(40);
    expect([...seen].filter((file) => file.includes('/testing/'))).toEqual([]);
  });
});
