import { All, Controller, Get, Options, Param, Post, UseGuards, VersioningType, type INestApplication } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiExtension, DECORATORS, DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessControlGuard, AclGuard, MicrokubesAuthGuard, MicrokubesModule, Public, Roles, RolesGuard, SkipAcl, UseRoles,
  type MicrokubesModuleOptions,
} from '../../lib/index.js';
import { createMicrokubesDocument, ERROR_SCHEMA_NAME, RESPONSE_NAMES, SCHEME_NAMES } from '../../lib/swagger/index.js';
import { authServerToken, jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { openApiErrors, operationsOf, walk, type WalkedOperation } from '../support/openapi-walk.js';
import { PLATFORMS, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

@Controller('open')
class UnguardedController {
  /** No module guard: left as the app documented it. */
  @Get()
  @ApiBearerAuth()
  open() {
    return { open: true };
  }
}

@Controller('items')
@UseGuards(MicrokubesAuthGuard)
class ItemsController {
  @Get()
  list() {
    return [];
  }

  @Get(':id')
  one(@Param('id') id: string) {
    return { id };
  }

  @Public()
  @Get('free/now')
  free() {
    return { free: true };
  }

  /** An ignored method, on a handler declared for it. */
  @Options()
  options() {
    return {};
  }

  /** `@All()`: OPTIONS is not ignored on it, and every method is secured. */
  @All('any')
  any() {
    return { any: true };
  }

  /** `security.publicRoutes` has `/items/files/[0-9]+`: public for some names only. */
  @Get('files/:name')
  @ApiExtension('x-kept', { mine: true })
  file(@Param('name') name: string) {
    return { name };
  }

  @Post()
  create() {
    return { created: true };
  }

  /** `security.publicRoutes` has `/items/users/[^/]+`: a parameter is one segment, so every value is public. */
  @Get('users/:id')
  user() {
    return { user: true };
  }

  /** `security.publicRoutes` has `/items/static/[^/]+`: public for one segment, not for two. */
  @Get('static/*')
  asset() {
    return { asset: true };
  }
}

/** A guard of the app's own, extending the module's: the document knows it for what it is. */
class TenantAuthGuard extends MicrokubesAuthGuard {}

@Controller('tenant')
@UseGuards(TenantAuthGuard)
class TenantController {
  @Get()
  tenant() {
    return { tenant: true };
  }
}

@Controller('mixed')
@Public()
@UseGuards(MicrokubesAuthGuard)
class MixedController {
  @Get()
  open() {
    return { open: true };
  }

  /** On a method, @Public(false) wins over the class. */
  @Public(false)
  @Get('closed')
  closed() {
    return { closed: true };
  }
}

@Controller('roles')
@UseGuards(RolesGuard)
class RolesController {
  @Get('all')
  @Roles({ roles: ['admin', 'auditor'], match: 'all' })
  all() {
    return { all: true };
  }

  /** RolesGuard without @Roles asks nothing: not the module's to document. */
  @Get('none')
  none() {
    return { none: true };
  }

  /** @Public() does not lift a role requirement: RolesGuard needs a caller, and refuses 401 without one. */
  @Public()
  @Roles('admin')
  @Get('public-but-roles')
  publicButRoles() {
    return { ok: true };
  }

  /** As above, under a deny policy: the caller authenticated for its roles is judged by the policies too. */
  @Public()
  @Roles('admin')
  @Get('sealed')
  sealed() {
    return { sealed: true };
  }
}

@Controller('grants')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class GrantsController {
  @Get()
  @UseRoles({ resource: 'reports', action: 'read', possession: 'any' })
  reports() {
    return { reports: [] };
  }
}

@Controller('acl')
@UseGuards(AclGuard)
class AclController {
  @Get()
  policied() {
    return { acl: true };
  }

  @SkipAcl()
  @Get('skipped')
  skipped() {
    return { skipped: true };
  }
}

const OAUTH2 = { tokenUrl: 'https://auth.example.com/oauth2/token', authorizationUrl: 'https://auth.example.com/oauth2/authorize' };

function optionsFor(keys: PlatformKeysDir): MicrokubesModuleOptions {
  return {
    keysDir: keys.dir,
    watchKeys: false,
    version: '3.2.1',
    security: {
      publicRoutes: ['/items/files/[0-9]+', '/items/static/[^/]+', '/items/users/[^/]+'],
      jwt: { tokenUrl: 'https://auth.example.com/jwt' },
      oauth2: { requiredScopes: ['api:read'], ...OAUTH2 },
      realm: 'items',
    },
    acl: {
      grants: { user: { reports: { 'read:any': ['*'] } } },
      policies: [
        { id: 'users', effect: 'allow', subjects: ['<.+>'], resources: ['/<.+>'], actions: ['api:<read|write>'], conditions: { roles: { type: 'RolesCondition', options: { values: ['user'] } } } },
        { id: 'admins', effect: 'allow', subjects: ['<.+>'], resources: ['/roles/<.+>'], actions: ['api:read'], conditions: { roles: { type: 'RolesCondition', options: { values: ['admin'] } } } },
        { id: 'sealed', effect: 'deny', subjects: ['<.+>'], resources: ['/roles/sealed'], actions: ['<.+>'] },
      ],
    },
  };
}

const CONTROLLERS = [UnguardedController, ItemsController, MixedController, RolesController, GrantsController, AclController, TenantController];
const config = () => new DocumentBuilder().setOpenAPIVersion('3.1.0').setTitle('items').build();
const op = (document: OpenAPIObject, method: string, path: string): OperationObject => {
  const operation = (document.paths[path] as Record<string, OperationObject> | undefined)?.[method];
  if (!operation) throw new Error(`${method} ${path} is not in the document`);
  return operation;
};
/** The description of an operation's 403, if it has one. */
const forbidden = (operation: OperationObject): string | undefined => (operation.responses['403'] as { description?: string } | undefined)?.description;
const SECURED = [{ [SCHEME_NAMES.jwt]: [] }, { [SCHEME_NAMES.oauth2]: ['api:read'] }];
const SECURED_NO_SCOPES = [{ [SCHEME_NAMES.jwt]: [] }, { [SCHEME_NAMES.oauth2]: [] }];
const UNAUTHORIZED = { $ref: `#/components/responses/${RESPONSE_NAMES.unauthorized}` };

describe.each(PLATFORMS)('createMicrokubesDocument on %s', (platform: HttpPlatform) => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    keys = platformKeysDir();
    running = await startApp(platform, { imports: [MicrokubesModule.forRoot(optionsFor(keys))], controllers: CONTROLLERS });
    document = createMicrokubesDocument(running.app, config());
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it('is a valid OpenAPI 3.1 document, with the schemes of the strategies that are on', async () => {
    // @nestjs/swagger documents @All() with `search` too, which OpenAPI 3.1 does not know (ours is secured like the rest).
    expect(op(document, 'search', '/items/any')).toMatchObject({ security: SECURED, responses: { '401': UNAUTHORIZED } });
    const { search: _, ...any } = document.paths['/items/any'] as Record<string, unknown>;
    expect(await openApiErrors({ ...document, paths: { ...document.paths, '/items/any': any } })).toEqual([]);
    expect(document.components?.securitySchemes).toEqual({
      jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: expect.stringContaining('https://auth.example.com/jwt') },
      oauth2: {
        type: 'oauth2',
        description: expect.stringContaining('"Microkubes Authorization Server"'),
        flows: { authorizationCode: { ...OAUTH2, scopes: { 'api:read': expect.any(String) } } },
      },
    });
    expect(document.components?.schemas?.[ERROR_SCHEMA_NAME]).toMatchObject({ required: ['code', 'message'] });
    expect(document.components?.responses?.[RESPONSE_NAMES.unauthorized]).toMatchObject({
      headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: expect.stringContaining('Bearer realm="items"') } },
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` } } },
    });
  });

  it('secures what the guards secure, with a 401, and a 403 naming what is required', () => {
    for (const [method, path] of [['get', '/items'], ['get', '/items/{id}'], ['post', '/items'], ['get', '/mixed/closed'], ['options', '/items/any'], ['get', '/items/any']]) {
      const operation = op(document, method!, path!);
      expect(operation.security, `${method} ${path}`).toEqual(SECURED);
      expect(operation.responses['401'], `${method} ${path}`).toEqual(UNAUTHORIZED);
      // The policies apply to every route MicrokubesAuthGuard authenticates; api:read for OAuth2 tokens.
      expect(forbidden(operation)).toContain('ACL policies');
      expect(forbidden(operation)).toContain('`api:read`');
    }
    expect(forbidden(op(document, 'get', '/roles/all'))).toContain('all of the roles `admin`, `auditor`');
    expect(op(document, 'get', '/roles/public-but-roles')).toMatchObject({ security: SECURED, responses: { '401': UNAUTHORIZED } });
    expect(forbidden(op(document, 'get', '/roles/public-but-roles'))).toContain('the role `admin`');
    expect(forbidden(op(document, 'get', '/grants'))).toContain('the grant `read` on `reports` (any)');
    expect(forbidden(op(document, 'get', '/acl'))).toContain('ACL policies');
    // AclGuard with @SkipAcl() asks nothing.
    expect(op(document, 'get', '/acl/skipped')).toEqual({ operationId: 'AclController_skipped', parameters: [], responses: { '200': { description: '' } }, tags: ['Acl'] });
  });

  it('leaves @Public(), public routes and ignored methods without security, and what no module guard guards as it was', () => {
    for (const [method, path] of [['get', '/items/free/now'], ['options', '/items'], ['get', '/mixed']]) {
      const operation = op(document, method!, path!);
      expect(operation.security, `${method} ${path}`).toBeUndefined();
      expect(Object.keys(operation.responses), `${method} ${path}`).not.toContain('401');
      expect(Object.keys(operation.responses), `${method} ${path}`).not.toContain('403');
    }
    expect(op(document, 'get', '/open')).toMatchObject({ security: [{ bearer: [] }] });
    expect(op(document, 'get', '/open').responses['401']).toBeUndefined();
    expect(op(document, 'get', '/roles/none').responses['401']).toBeUndefined();
    // Public for `/items/files/1`, not for `/items/files/x`: credentials are optional ({}).
    expect(op(document, 'get', '/items/files/{name}')).toMatchObject({ security: [{}, ...SECURED], responses: { '401': UNAUTHORIZED } });
    expect(op(document, 'get', '/items/files/{name}').description).toContain('Public for some requests');
    // A wildcard: public for one segment, secured for two (or none).
    expect(op(document, 'get', '/items/static/{path}')).toMatchObject({ security: [{}, ...SECURED], responses: { '401': UNAUTHORIZED } });
    // A parameter cannot hold a slash: public for every value.
    expect(op(document, 'get', '/items/users/{id}').security).toBeUndefined();
  });

  it('knows a guard that extends the module\'s, and the policies an access guard\'s caller is judged by', async () => {
    expect(op(document, 'get', '/tenant')).toMatchObject({ security: SECURED, responses: { '401': UNAUTHORIZED } });
    expect((await fetch(`${running.url}/tenant`)).status).toBe(401);
    expect(forbidden(op(document, 'get', '/roles/sealed'))).toContain('ACL policies');
    expect(forbidden(op(document, 'get', '/roles/all'))).toContain('ACL policies');
    const admin = jwtIssuerToken(keys.default.privateKey, { userId: 'u-9', username: 'root@example.com', roles: ['admin'] });
    // The role is held, and the deny policy wins: 403, before and after the role check alike.
    expect((await fetch(`${running.url}/roles/sealed`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(403);
    expect((await fetch(`${running.url}/items/static/a`)).status).toBe(200);
    expect((await fetch(`${running.url}/items/static/a/b`)).status).toBe(401);
    expect((await fetch(`${running.url}/items/users/a%2Fb`)).status).not.toBe(401);
  });

  it('documents GET /healthcheck and GET /version with their bodies', () => {
    expect(op(document, 'get', '/healthcheck').security).toBeUndefined();
    expect(op(document, 'get', '/healthcheck')).toMatchObject({
      responses: {
        '200': { content: { 'application/json': { schema: { properties: { status: { enum: ['ok'] } } } } } },
        '503': { content: { 'application/json': { schema: { properties: { status: { enum: ['error'] } } } } } },
      },
    });
    expect(op(document, 'get', '/version').responses['200']).toMatchObject({
      content: { 'application/json': { schema: { required: ['version'], properties: { version: { type: 'string', example: '3.2.1' } } } } },
    });
  });

  it('leaves no mark of its own and keeps the handlers\' own extensions, and gives the same document twice', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('x-microkubes-handler');
    expect(op(document, 'get', '/items/files/{name}')).toMatchObject({ 'x-kept': { mine: true } });
    expect(Reflect.getMetadata(DECORATORS.API_EXTENSION, ItemsController.prototype.file)).toEqual({ 'x-kept': { mine: true } });
    expect(Reflect.getMetadata(DECORATORS.API_EXTENSION, ItemsController.prototype.list)).toBeUndefined();
    expect(JSON.stringify(createMicrokubesDocument(running.app, config()))).toBe(text);
    // Plain @nestjs/swagger afterwards: as if the module had never marked anything.
    expect(JSON.stringify(SwaggerModule.createDocument(running.app, config()))).not.toContain('x-microkubes');
  });

  it('admits to a public route with @Roles the callers who hold the roles, as the document says (secured, 403)', async () => {
    const admin = jwtIssuerToken(keys.default.privateKey, { userId: 'u-9', username: 'root@example.com', roles: ['admin'] });
    const user = jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'jane@example.com', roles: ['user'] });
    const call = (token?: string) => fetch(`${running.url}/roles/public-but-roles`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await call(admin)).status).toBe(200);
    expect((await call(user)).status).toBe(403);
    const anonymous = await call();
    expect([anonymous.status, anonymous.headers.get('www-authenticate'), await anonymous.json()]).toEqual([401, 'Bearer realm="items"', { code: 401, message: 'missing bearer token' }]);
    expect((await call('not.a.token')).headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('tells the truth: what it calls secured refuses 401 without credentials, what it calls public does not', async () => {
    const anonymous = await walk(running.url, document);
    const wrong = (walked: WalkedOperation[], check: (operation: WalkedOperation) => boolean) =>
      walked.filter((operation) => !check(operation)).map(({ method, target, status, documented }) => `${method} ${target}: ${status} (${documented})`);
    expect(anonymous.length).toBeGreaterThan(15);
    // GET /open is the app's own claim (@ApiBearerAuth without a guard): not the module's to check.
    const guarded = anonymous.filter((o) => o.path !== '/open');
    expect(wrong(guarded, (o) => (o.documented === 'public' ? o.status !== 401 : true))).toEqual([]);
    expect(
      wrong(guarded, (o) => o.documented !== 'secured' || (o.status === 401 && o.challenge === 'Bearer realm="items"' && (o.method === 'head' || (o.body as { code?: number })?.code === 401))),
    ).toEqual([]);
    expect(guarded.find((o) => o.path === '/items/files/{name}')?.status).toBe(200);
    // Partly public: public for a name of digits (above), secured for another.
    expect((await walk(running.url, document, {}, 'x')).find((o) => o.path === '/items/files/{name}')).toMatchObject({ status: 401, challenge: 'Bearer realm="items"' });

    // A caller without roles is refused only with a 403 the document gives.
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'jane@example.com', roles: [] });
    const signedIn = await walk(running.url, document, { authorization: `Bearer ${token}` });
    expect(wrong(signedIn, (o) => o.status !== 401)).toEqual([]);
    expect(wrong(signedIn, (o) => o.status !== 403 || !!op(document, o.method, o.path).responses['403'])).toEqual([]);
    expect(signedIn.filter((o) => o.status === 403).length).toBeGreaterThan(5);

    // An OAuth2 token without the required scope: 403 insufficient_scope, as documented.
    const unscoped = authServerToken(keys.default.privateKey, { userId: 'u-2', username: 'app@example.com', roles: ['user'], clientId: 'client-1', scope: 'other' });
    const scoped = await walk(running.url, document, { authorization: `Bearer ${unscoped}` });
    const items = scoped.find((o) => o.method === 'get' && o.path === '/items')!;
    expect(items).toMatchObject({ status: 403 });
    expect(items.challenge).toContain('error="insufficient_scope"');
  });
});

describe('createMicrokubesDocument with a global guard, a global prefix and versions, another token header and SAML', () => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let early: OpenAPIObject | undefined;

  @Controller({ path: 'things', version: '2' })
  class ThingsController {
    @Get()
    things() {
      return [];
    }

    @Public()
    @Get('open')
    open() {
      return { open: true };
    }

    /** Public by `security.publicRoutes`, which is matched on the path with its prefix. */
    @Get('free')
    free() {
      return { free: true };
    }
  }

  @Controller()
  class StatusController {
    /** Outside the global prefix (`exclude`): `/api/status` in publicRoutes is not its path. */
    @Get('status')
    status() {
      return { status: 'ok' };
    }
  }

  beforeAll(async () => {
    keys = platformKeysDir();
    const setup = (app: INestApplication) => {
      app.setGlobalPrefix('api', { exclude: ['status'] });
      app.enableVersioning({ type: VersioningType.URI });
      // Before the app is initialised, as a main.ts calls it.
      early = createMicrokubesDocument(app, config());
    };
    running = await startApp(
      'express',
      {
        imports: [
          MicrokubesModule.forRoot({
            keysDir: keys.dir,
            watchKeys: false,
            version: '1.0.0',
            healthCheck: { public: false },
            security: {
              globalGuard: true,
              publicRoutes: ['/api/v2/things/free', '/api/status'],
              jwt: { header: 'x-token', scheme: null },
              oauth2: false,
              saml: { entityId: 'http://127.0.0.1/saml/metadata', acsUrl: 'http://127.0.0.1/saml/acs', idpEntityId: 'https://idp.example.com', idpSsoUrl: 'https://idp.example.com/sso', idpCert: 'service.cert' },
            },
          }),
        ],
        controllers: [ThingsController, StatusController],
      },
      0,
      { setup },
    );
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it('with ignoreGlobalPrefix, judges public routes on the served path, and keeps the module\'s routes outside the prefix', async () => {
    const document = createMicrokubesDocument(running.app, new DocumentBuilder().setOpenAPIVersion('3.1.0').addServer('/api').build(), { ignoreGlobalPrefix: true });
    expect(op(document, 'get', '/v2/things/free').security).toBeUndefined();
    expect(op(document, 'get', '/v2/things').security).toEqual([{ jwt: [] }, { saml: [] }]);
    expect(op(document, 'get', '/healthcheck').servers).toEqual([{ url: '/' }]);
    expect((await fetch(`${running.url}/api/v2/things/free`)).status).toBe(200);
    // Excluded from the prefix: judged on /status, which no public route matches.
    expect(op(document, 'get', '/status')).toMatchObject({ security: [{ jwt: [] }, { saml: [] }], responses: { '401': UNAUTHORIZED } });
    expect((await fetch(`${running.url}/status`)).status).toBe(401);
  });

  it('documents the header token, the session cookie, the browser redirect and the secured health check', async () => {
    const document = createMicrokubesDocument(running.app, config());
    expect(JSON.stringify(early)).toBe(JSON.stringify(document));
    expect(await openApiErrors(document)).toEqual([]);
    expect(document.components?.securitySchemes).toEqual({
      jwt: { type: 'apiKey', in: 'header', name: 'x-token', description: expect.stringContaining('Sent as the token alone') },
      saml: { type: 'apiKey', in: 'cookie', name: expect.stringMatching(/^microkubes_saml/), description: expect.stringContaining('/saml/login') },
    });
    const requirements = [{ jwt: [] }, { saml: [] }];
    expect(op(document, 'get', '/api/v2/things')).toMatchObject({
      security: requirements,
      responses: { '401': UNAUTHORIZED, '302': { $ref: `#/components/responses/${RESPONSE_NAMES.samlLogin}` } },
    });
    expect(op(document, 'get', '/api/v2/things/open').security).toBeUndefined();
    // The module's own routes are outside the global prefix.
    expect(op(document, 'get', '/healthcheck')).toMatchObject({ security: requirements, responses: { '401': UNAUTHORIZED } });
    expect(op(document, 'get', '/version').security).toBeUndefined();

    const walked = await walk(running.url, document);
    expect(walked.map(({ method, target, status }) => `${method} ${target} ${status}`)).toEqual([
      'get /api/v2/things 401',
      'get /api/v2/things/open 200',
      'get /api/v2/things/free 200',
      'get /status 401',
      'get /healthcheck 401',
      'get /version 200',
    ]);
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'jane@example.com' });
    expect((await walk(running.url, document, { 'x-token': token })).map(({ status }) => status)).toEqual([200, 200, 200, 200, 200, 200]);
    // A browser without a session: to the IdP, as the 302 says.
    const browser = await fetch(`${running.url}/api/v2/things`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toMatch(/^https:\/\/idp\.example\.com\/sso\?SAMLRequest=/);
  });
});

describe('createMicrokubesDocument beside what the app documents itself', () => {
  @Controller()
  class OwnVersionController {
    @Get('version')
    version() {
      return { mine: true };
    }
  }

  it('keeps the app\'s own GET /version (which answers there), and marks public what a document-wide requirement would secure', async () => {
    const keys = platformKeysDir();
    const running = await startApp('express', {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false, version: '1.0.0', security: { oauth2: false } })],
      controllers: [OwnVersionController],
    });
    try {
      const document = createMicrokubesDocument(running.app, new DocumentBuilder().setTitle('own').addBearerAuth().addSecurityRequirements('bearer').build());
      expect(op(document, 'get', '/version')).toMatchObject({ operationId: 'OwnVersionController_version' });
      expect(operationsOf(document).find((o) => o.path === '/version')?.documented).toBe('secured');
      expect(op(document, 'get', '/healthcheck').security).toEqual([]);
      expect(operationsOf(document).find((o) => o.path === '/healthcheck')?.documented).toBe('public');
      expect(await (await fetch(`${running.url}/version`)).json()).toEqual({ mine: true });
    } finally {
      await running.close();
      keys.remove();
    }
  });

  it("leaves out the module's /healthcheck where the app serves its own, even one it keeps out of the document", async () => {
    @Controller()
    @UseGuards(MicrokubesAuthGuard)
    class OwnHealthController {
      @Get('healthcheck')
      @ApiExcludeEndpoint()
      health() {
        return { mine: true };
      }
    }
    const keys = platformKeysDir();
    const running = await startApp('fastify', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })], controllers: [OwnHealthController] });
    try {
      const document = createMicrokubesDocument(running.app, config());
      expect(document.paths['/healthcheck']).toBeUndefined();
      expect((await fetch(`${running.url}/healthcheck`)).status).toBe(401);
    } finally {
      await running.close();
      keys.remove();
    }
  });

  it.each(PLATFORMS)("on %s, leaves out the module's /healthcheck where an app's route of a pattern answers it first", async (platform) => {
    @Controller()
    @UseGuards(MicrokubesAuthGuard)
    class CodesController {
      @Get(':code')
      code(@Param('code') code: string) {
        return { code };
      }
    }
    const keys = platformKeysDir();
    const running = await startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })], controllers: [CodesController] });
    try {
      const document = createMicrokubesDocument(running.app, config());
      const answered = (await fetch(`${running.url}/healthcheck`)).status;
      // Express runs the app's /:code first (401); Fastify prefers the module's static path (200).
      expect([!!document.paths['/healthcheck'], answered]).toEqual(platform === 'express' ? [false, 401] : [true, 200]);
      // And the module says so, rather than serve a route no request reaches.
      expect(running.logger.lines.some((line) => line.startsWith('GET /healthcheck is a route of the app'))).toBe(platform === 'express');
    } finally {
      await running.close();
      keys.remove();
    }
  });

  it('calls partly public an operation two header versions share, one public and one secured', async () => {
    @Controller({ path: 'greeting', version: '1' })
    class GreetingV1Controller {
      @Public()
      @Get()
      greet() {
        return { v: 1 };
      }
    }
    @Controller({ path: 'greeting', version: '2' })
    @UseGuards(MicrokubesAuthGuard)
    class GreetingV2Controller {
      @Get()
      greet() {
        return { v: 2 };
      }
    }
    const keys = platformKeysDir();
    for (const controllers of [[GreetingV1Controller, GreetingV2Controller], [GreetingV2Controller, GreetingV1Controller]]) {
      const running = await startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false, security: { oauth2: false } })], controllers }, 0, {
        setup: (app) => app.enableVersioning({ type: VersioningType.HEADER, header: 'x-version' }),
      });
      try {
        const document = createMicrokubesDocument(running.app, config());
        expect(op(document, 'get', '/greeting')).toMatchObject({ security: [{}, { jwt: [] }], responses: { '401': UNAUTHORIZED } });
        expect((await fetch(`${running.url}/greeting`, { headers: { 'x-version': '1' } })).status).toBe(200);
        expect((await fetch(`${running.url}/greeting`, { headers: { 'x-version': '2' } })).status).toBe(401);
      } finally {
        await running.close();
      }
    }
    keys.remove();
  });

  it('with security.disable, asks for no credentials, and says which operations refuse every request', async () => {
    @Controller('off')
    @UseGuards(MicrokubesAuthGuard, RolesGuard)
    class OffController {
      @Get()
      open() {
        return { open: true };
      }

      @Get('admin')
      @Roles('admin')
      admin() {
        return { admin: true };
      }
    }
    const keys = platformKeysDir();
    const running = await startApp('express', {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false, healthCheck: { public: false }, security: { disable: true } })],
      controllers: [OffController],
    });
    try {
      const document = createMicrokubesDocument(running.app, config());
      expect(document.components?.securitySchemes).toBeUndefined();
      expect(op(document, 'get', '/off').security).toBeUndefined();
      expect(op(document, 'get', '/off/admin')).toMatchObject({ responses: { '401': UNAUTHORIZED }, description: expect.stringContaining('every request is refused') });
      expect(op(document, 'get', '/off/admin').security).toBeUndefined();
      expect((await fetch(`${running.url}/off`)).status).toBe(200);
      // The health check asks for nothing either, and says so.
      expect(op(document, 'get', '/healthcheck').responses['401']).toBeUndefined();
      expect((await fetch(`${running.url}/healthcheck`)).status).toBe(200);
      const refused = await fetch(`${running.url}/off/admin`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect([refused.status, refused.headers.get('www-authenticate'), await refused.json()]).toEqual([401, null, { code: 401, message: 'not authenticated' }]);
    } finally {
      await running.close();
      keys.remove();
    }
  });

  it('tells apart two controllers that inherit one handler, by the path each serves', async () => {
    class BaseController {
      @Get('x')
      x() {
        return { x: true };
      }
    }
    @Controller('pub')
    @Public()
    @UseGuards(MicrokubesAuthGuard)
    class PublicController extends BaseController {}
    @Controller('sec')
    @UseGuards(MicrokubesAuthGuard)
    class SecuredController extends BaseController {}
    const keys = platformKeysDir();
    const running = await startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })], controllers: [PublicController, SecuredController] });
    try {
      const document = createMicrokubesDocument(running.app, config());
      expect(op(document, 'get', '/pub/x').security).toBeUndefined();
      expect(op(document, 'get', '/sec/x')).toMatchObject({ security: SECURED_NO_SCOPES, responses: { '401': UNAUTHORIZED } });
      expect((await walk(running.url, document)).map(({ target, status }) => `${target} ${status}`)).toEqual(['/pub/x 200', '/sec/x 401', '/healthcheck 200']);
    } finally {
      await running.close();
      keys.remove();
    }
  });

  it('names what is missing when MicrokubesModule is not imported', async () => {
    const running = await startApp('express', { controllers: [OwnVersionController] });
    try {
      expect(() => createMicrokubesDocument(running.app, config())).toThrow('createMicrokubesDocument(): MicrokubesModule is not imported by this app');
    } finally {
      await running.close();
    }
  });
});
