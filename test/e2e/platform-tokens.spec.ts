import { All, Controller, Get, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesAuthGuard, MicrokubesModule } from '../../lib/index.js';
import { CallerService, CatalogController, HelloController, ScopedController } from '../support/hello.controller.js';
import { authServerToken, jwtIssuerToken, platformKeysDir, systemToken, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, getJson, PLATFORMS, startApp, type RunningApp } from '../support/test-app.js';

describe.each(PLATFORMS)('tokens as the platform mints them (%s)', (platform) => {
  let keys: PlatformKeysDir;
  let running: RunningApp;

  beforeAll(async () => {
    keys = platformKeysDir();
    running = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: { publicRoutes: ['/todo/public/.*'] } })],
      controllers: [HelloController, ScopedController, CatalogController],
      providers: [CallerService],
    });
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it('accepts a jwt-issuer user token and maps its claims', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, {
      userId: '5b1f0c3e9a1d2f0001a1b2c3',
      username: 'jane@example.com',
      roles: ['user', 'admin'],
      organizations: ['acme', 'umbrella'],
      namespaces: ['dev'],
    }, 'api:read,api:write');
    const { status, body } = await getJson(`${running.url}/hello`, bearer(token));
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({
      userId: '5b1f0c3e9a1d2f0001a1b2c3',
      username: 'jane@example.com',
      roles: ['user', 'admin'],
      organizations: ['acme', 'umbrella'],
      namespaces: ['dev'],
      scopes: ['api:read', 'api:write'],
      strategy: 'jwt',
    });
    expect(body.auth.clientId).toBeUndefined();
    expect(body.auth.claims.iss).toBe('Microkubes JWT Authority');
  });

  it('accepts a user with no organizations and no namespaces', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'solo@example.com' });
    const { status, body } = await getJson(`${running.url}/hello`, bearer(token));
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ roles: ['user'], organizations: [], namespaces: [], scopes: ['api:read'] });
  });

  it("accepts jwt-issuer's system token, with its singular scope claim", async () => {
    const { status, body } = await getJson(`${running.url}/hello`, bearer(systemToken(keys.system.privateKey)));
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ userId: 'system', username: 'system', roles: ['system'], scopes: ['api:read'] });
  });

  it("accepts the authorization server's access token and sets clientId from sub", async () => {
    const token = authServerToken(keys.authServer.privateKey, {
      clientId: 'client-42',
      userId: 'u-7',
      username: 'joe@example.com',
      roles: ['user'],
      organizations: ['acme'],
      namespaces: null,
      scope: 'api:read api:write',
      email: 'joe@example.com',
      fullname: 'Joe Doe',
      customerID: 'cust-9',
    });
    const { status, body } = await getJson(`${running.url}/hello`, bearer(token));
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({
      userId: 'u-7',
      username: 'joe@example.com',
      clientId: 'client-42',
      roles: ['user'],
      organizations: ['acme'],
      namespaces: [],
      scopes: ['api:read', 'api:write'],
      email: 'joe@example.com',
      fullname: 'Joe Doe',
      customerId: 'cust-9',
      strategy: 'oauth2',
    });
  });

  it('gives a field of the Auth with @CurrentAuth(field)', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u2', username: 'field@example.com' });
    expect((await getJson(`${running.url}/whoami`, bearer(token))).body).toEqual({ username: 'field@example.com' });
  });

  it('injects the Auth through the REQUEST-scoped MICROKUBES_AUTH provider', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u3', username: 'scoped@example.com' });
    const { status, body } = await getJson(`${running.url}/scoped`, bearer(token));
    expect(status).toBe(200);
    expect(body).toEqual({ userId: 'u3', username: 'scoped@example.com', isAuth: true });
  });

  it('lets public routes, @Public() handlers and OPTIONS through without a token', async () => {
    expect((await getJson(`${running.url}/open`)).status).toBe(200);
    expect((await getJson(`${running.url}/todo/public/list`)).status).toBe(200);
    expect((await getJson(`${running.url}/todo/public/list?x=1`)).status).toBe(200);
    expect((await getJson(`${running.url}/hello`, { method: 'OPTIONS' })).status).toBe(200);
  });

  it("lets a method's @Public(false) secure one route of a @Public() controller", async () => {
    expect((await getJson(`${running.url}/catalog`)).status).toBe(200);
    expect((await getJson(`${running.url}/catalog/orders`)).status).toBe(401);
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u4', username: 'buyer@example.com' });
    expect((await getJson(`${running.url}/catalog/orders`, bearer(token))).body).toEqual({ username: 'buyer@example.com' });
  });

  it('answers 401 with the platform error body and an RFC 6750 challenge without a token', async () => {
    const { status, body, headers } = await getJson(`${running.url}/hello`);
    expect(status).toBe(401);
    expect(body).toEqual({ code: 401, message: 'missing bearer token' });
    expect(headers.get('www-authenticate')).toBe('Bearer realm="microkubes"');
  });
});

@Controller('any-method')
@UseGuards(MicrokubesAuthGuard)
class AnyMethodController {
  @All()
  any() {
    return { reached: true };
  }

  @Get('get')
  get() {
    return { reached: true };
  }
}

describe.each(PLATFORMS)('ignored methods (%s)', (platform) => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  beforeAll(async () => {
    keys = platformKeysDir();
    running = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: { ignoreHttpMethods: ['OPTIONS', 'HEAD'] } })],
      controllers: [HelloController, AnyMethodController],
    });
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it('skip security only on a handler declared for that method, not on @All() or on GET run for HEAD', async () => {
    expect((await fetch(`${running.url}/hello`, { method: 'OPTIONS' })).status).toBe(200);
    expect((await fetch(`${running.url}/any-method`, { method: 'OPTIONS' })).status).toBe(401);
    expect((await fetch(`${running.url}/any-method`, { method: 'HEAD' })).status).toBe(401);
    expect((await fetch(`${running.url}/any-method/get`, { method: 'HEAD' })).status).toBe(401);
  });
});
