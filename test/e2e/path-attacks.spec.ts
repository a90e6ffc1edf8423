import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesAuthGuard, MicrokubesModule, type AclPolicy, type MicrokubesSecurityOptions } from '../../lib/index.js';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { PLATFORMS, rawRequest, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

/**
 * The outside review's bypasses (a route parameter that holds `/` or dot segments reshaping the
 * path that public patterns and policies judge), every spelling of them, on both adapters: with
 * the firewall (the default) they never reach a route; without it, they are judged on what the
 * handler receives, so that none reaches a secured handler anonymously and none escapes a deny.
 */

/** Each handler says what it received: a deny must hold whenever a handler receives the denied value. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
class SecuredController {
  @Get(':tenant/items') items(@Param('tenant') tenant: string) { return { route: 'items', tenant }; }
  @Get('todos/:id') todo(@Param('id') id: string) { return { route: 'todo', id }; }
  @Get('files/:id/download') download(@Param('id') id: string) { return { route: 'download', id }; }
}

@Controller()
@UseGuards(MicrokubesAuthGuard)
class ExpressSyntaxController {
  @Get('tree/*rest') tree(@Param('rest') rest: string[]) { return { route: 'tree', rest: rest.join('/'), segments: rest.length }; }
  @Get('opt{/:id}') opt(@Param('id') id?: string) { return { route: 'opt', id: id ?? null }; }
  @Get('export{.csv}') export() { return { route: 'export' }; }
}

@Controller()
@UseGuards(MicrokubesAuthGuard)
class FastifySyntaxController {
  @Get('tree/*') tree(@Param('*') rest: string) { return { route: 'tree', rest, segments: rest.split('/').length }; }
  @Get('opt/:id?') opt(@Param('id') id?: string) { return { route: 'opt', id: id ?? null }; }
  @Get('rx/:id(^\\d+)') rx(@Param('id') id: string) { return { route: 'rx', id }; }
}

const publicRoutes = ['/public/.*', '.*/static/.*', '.*/public/.*'];

const policies: AclPolicy[] = [
  { id: 'users-read', effect: 'allow', subjects: ['<.+>'], resources: ['<.*>'], actions: ['api:read'], conditions: { roles: { type: 'RolesCondition', options: { values: ['user'] } } } },
  { id: 'sealed', effect: 'deny', subjects: ['<.+>'], actions: ['api:read'], resources: ['/files/secret/download', '/todos/13', '/secret/items', '/tree/secret/<.*>', '/opt/13', '/rx/13'] },
];

/** Anonymous requests that once reached a secured handler through a public pattern. */
const ANONYMOUS_TRICKS = [
  '/public%2Fx/items', '/public%2fx/items', '/public%2F..%2Fx/items', '/x%2Fpublic%2Fy/items', '/%2Fpublic%2Fy/items',
  '/todos/1%2Fstatic%2Fx', '/todos/1%2fstatic%2f', '/todos/%2Fstatic%2F', '/todos/x%2Fpublic%2Fy',
  '/files/public%2F..%2Fsecret/download', '/files/public%2F%2E%2E%2Fsecret/download', '/files/x%2Fstatic%2Fy/download',
  '/opt/a%2Fstatic%2Fb', '/opt/x%2Fpublic%2Fy',
];

/** What the handler of each request receives when it is the denied value (the deny must hold). */
const DENIED_SPELLINGS = [
  '/files/secret/download', '/files/%73ecret/download', 'http://evil.example/files/secret/download', '/files/secret/download?x=%2F',
  '/todos/13', '/todos/%31%33', '/secret/items', '/%73ecret/items', '/tree/secret/x', '/tree/secret/%78', '/opt/13', '/opt/%313',
];

function securityOptions(firewall: MicrokubesSecurityOptions['firewall']): MicrokubesSecurityOptions {
  return { publicRoutes, firewall };
}

describe.each(PLATFORMS)('route parameters cannot reshape the judged path (%s)', (platform: HttpPlatform) => {
  let keys: PlatformKeysDir;
  let strict: RunningApp;
  let open: RunningApp;
  let user: Record<string, string>;

  beforeAll(async () => {
    keys = platformKeysDir();
    const controllers = [SecuredController, platform === 'fastify' ? FastifySyntaxController : ExpressSyntaxController];
    const start = (firewall: MicrokubesSecurityOptions['firewall']) =>
      startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: securityOptions(firewall), acl: { policies } })], controllers });
    strict = await start(undefined);
    open = await start(false);
    user = { authorization: `Bearer ${jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'alice@example.com', roles: ['user'] })}` };
  });
  afterAll(async () => {
    await strict?.close();
    await open?.close();
    keys?.remove();
  });

  it.each(ANONYMOUS_TRICKS)('%s: the firewall refuses it (400)', async (target) => {
    expect((await rawRequest(strict.url, 'GET', target)).status).toBe(400);
  });

  it.each(ANONYMOUS_TRICKS)('%s: without the firewall, never public (401)', async (target) => {
    const { status, body } = await rawRequest(open.url, 'GET', target);
    expect(status, JSON.stringify(body)).toBe(401);
  });

  it.each(ANONYMOUS_TRICKS)('%s: a signed-in user reaches the handler with the value as sent, one segment', async (target) => {
    const { status, body } = await rawRequest(open.url, 'GET', target, user);
    expect(status).toBe(200);
    expect(Object.values(body).some((value) => typeof value === 'string' && value.includes('/'))).toBe(true);
  });

  it('what is public stays public, on the same routes', async () => {
    expect((await rawRequest(strict.url, 'GET', '/todos/x/static/y')).status).toBe(404);
    expect((await rawRequest(strict.url, 'GET', '/tree/a/static/b')).status).toBe(200);
    expect((await rawRequest(strict.url, 'GET', '/tree/public/x')).status).toBe(200);
  });

  it.each(DENIED_SPELLINGS)('%s: the deny holds (403), with and without the firewall', async (target) => {
    for (const app of [strict, open]) {
      const { status, body } = await rawRequest(app.url, 'GET', target, user);
      expect(status, JSON.stringify(body)).toBe(403);
      expect(body).toEqual({ code: 403, message: 'access denied by policy' });
    }
  });

  it('a spelling that escapes a deny by its text reaches the handler with another value, never the denied one', async () => {
    const denied: Record<string, unknown> = { download: 'secret', todo: '13', items: 'secret', opt: '13' };
    const tricks = ['/files/secret%2F/download', '/files/x%2F..%2Fsecret/download', '/files/.%2Fsecret/download', '/todos/13%2F', '/opt/13%2F', '/secret%2F/items'];
    for (const target of tricks) {
      expect((await rawRequest(strict.url, 'GET', target, user)).status, target).toBe(400);
      const { status, body } = await rawRequest(open.url, 'GET', target, user);
      if (status === 200) {
        const value = body.id ?? body.tenant;
        expect(value, target).not.toBe(denied[body.route]);
        expect(value, target).toContain('/');
      } else expect(status, target).toBe(403);
    }
  });

  it('a wildcard: its segments are judged as the handler receives them', async () => {
    // Express hands over segments, `secret/x` being one; Fastify one decoded string, as for /tree/secret/x.
    const { status, body } = await rawRequest(open.url, 'GET', '/tree/secret%2Fx', user);
    if (platform === 'express') {
      expect(status).toBe(200);
      expect(body).toEqual({ route: 'tree', rest: 'secret/x', segments: 1 });
    } else expect(status).toBe(403);
    expect((await rawRequest(open.url, 'GET', '/tree/open/x', user)).status).toBe(200);
  });

  it('an Express spelling the router normalises (case, trailing slash) is judged as the route', async () => {
    if (platform === 'fastify') return;
    for (const target of ['/FILES/secret/download', '/files/secret/download/', '/Todos/13/']) {
      expect((await rawRequest(strict.url, 'GET', target, user)).status, target).toBe(403);
    }
  });

  it('Express: an optional group of text is judged as the router matched it', async () => {
    if (platform === 'fastify') return;
    const app = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: { publicRoutes: ['.*\\.csv'] }, acl: { policies: [policies[0]!, { id: 'no-export', effect: 'deny', subjects: ['<.+>'], resources: ['/export'], actions: ['api:read'] }] } })],
      controllers: [ExpressSyntaxController],
    });
    try {
      expect((await rawRequest(app.url, 'GET', '/export')).status).toBe(401);
      expect((await rawRequest(app.url, 'GET', '/export', user)).status).toBe(403);
      expect((await rawRequest(app.url, 'GET', '/export.csv')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('Fastify: a regex parameter route keeps its deny and serves its allows', async () => {
    if (platform === 'express') return;
    expect((await rawRequest(strict.url, 'GET', '/rx/13', user)).status).toBe(403);
    expect((await rawRequest(strict.url, 'GET', '/rx/%313', user)).status).toBe(403);
    const { status, body } = await rawRequest(strict.url, 'GET', '/rx/12', user);
    expect(status).toBe(200);
    expect(body).toEqual({ route: 'rx', id: '12' });
    expect((await rawRequest(strict.url, 'GET', '/rx/12')).status).toBe(401);
  });

  it('optional parameters: absent and given', async () => {
    expect((await rawRequest(strict.url, 'GET', '/opt', user)).body).toEqual({ route: 'opt', id: null });
    expect((await rawRequest(strict.url, 'GET', '/opt/12', user)).body).toEqual({ route: 'opt', id: '12' });
    expect((await rawRequest(strict.url, 'GET', '/opt')).status).toBe(401);
  });
});
