import { Controller, Delete, Get, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControlGuard, GrantsMatch, MicrokubesAuthGuard, MicrokubesModule, UseRoles, type SeedAclConfig } from '../../lib/index.js';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, getJson, PLATFORMS, withRunningApp } from '../support/test-app.js';

/** microkubes-python's example config: `guest` is a role the grants do not know. */
const SEED_CONFIG: SeedAclConfig = {
  struct: { hello: ['create', 'read', 'update', 'delete'] },
  grants: { user: { hello: ['create', 'read', 'update'] }, admin: { hello: ['create', 'read', 'update', 'delete'] } },
  MACL_DEFFINITION: { roles: ['user', 'admin'] },
  MACL_DEFAULT_ROLES: ['user'],
};

/** `@macl_check_any('hello', ...)` and `@macl_check_all('hello', ...)`, each onto its own. */
@Controller('hello')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class HelloController {
  @Get('any') @UseRoles({ resource: 'hello', action: 'read' }) anyRead() { return { ok: true }; }
  @Get('all') @UseRoles({ resource: 'hello', action: 'read' }) @GrantsMatch('all') allRead() { return { ok: true }; }
  @Delete('any') @UseRoles({ resource: 'hello', action: 'delete' }) anyDelete() { return { ok: true }; }
  @Delete('all') @UseRoles({ resource: 'hello', action: 'delete' }) @GrantsMatch('all') allDelete() { return { ok: true }; }
}

/** acl.grantsMatch: 'all' as the default, and a class and a method that say otherwise. */
@Controller('strict')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class StrictController {
  @Get() @UseRoles({ resource: 'hello', action: 'read' }) read() { return { ok: true }; }
  @Get('lenient') @UseRoles({ resource: 'hello', action: 'read' }) @GrantsMatch('any') lenient() { return { ok: true }; }
}

@Controller('lenient-class')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
@GrantsMatch('any')
class LenientClassController {
  @Get() @UseRoles({ resource: 'hello', action: 'read' }) read() { return { ok: true }; }
  @Get('strict') @UseRoles({ resource: 'hello', action: 'read' }) @GrantsMatch('all') strict() { return { ok: true }; }
}

describe.each(PLATFORMS)('@UseRoles granted to any or to all of the caller\'s roles (%s)', (platform) => {
  let keys: PlatformKeysDir;
  const as = (roles: string[]) => bearer(jwtIssuerToken(keys.default.privateKey, { userId: `u-${roles.join('-')}`, username: `${roles.join('.') || 'none'}@example.com`, roles }));
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys?.remove());

  it('any (macl_check_any): one granted role is enough; all (macl_check_all): every role must be granted', async () => {
    await withRunningApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, acl: { grants: SEED_CONFIG } })], controllers: [HelloController] }, async ({ url }) => {
      const outcomes: Record<string, number> = {};
      const calls: Array<[string, string, string[]]> = [
        ['GET', '/hello/any', ['user', 'guest']], ['GET', '/hello/all', ['user', 'guest']],
        ['GET', '/hello/any', ['user']], ['GET', '/hello/all', ['user']],
        ['GET', '/hello/all', ['user', 'admin']], ['GET', '/hello/all', ['guest']],
        ['DELETE', '/hello/any', ['user', 'admin']], ['DELETE', '/hello/all', ['user', 'admin']], ['DELETE', '/hello/all', ['admin']],
        // No roles in the token: MACL_DEFAULT_ROLES (user) stands in, in both modes.
        ['GET', '/hello/all', []], ['DELETE', '/hello/all', []],
      ];
      for (const [method, path, roles] of calls) {
        const { status, body } = await getJson(`${url}${path}`, { method, ...as(roles) });
        if (status === 403) expect(body).toEqual({ code: 403, message: expect.stringMatching(/^access denied: /) });
        outcomes[`${method} ${path} ${roles.join(',')}`] = status;
      }
      expect(outcomes).toEqual({
        'GET /hello/any user,guest': 200, 'GET /hello/all user,guest': 403,
        'GET /hello/any user': 200, 'GET /hello/all user': 200,
        'GET /hello/all user,admin': 200, 'GET /hello/all guest': 403,
        'DELETE /hello/any user,admin': 200, 'DELETE /hello/all user,admin': 403, 'DELETE /hello/all admin': 200,
        'GET /hello/all ': 200, 'DELETE /hello/all ': 403,
      });
      expect((await getJson(`${url}/hello/all`, { method: 'GET', ...as(['user', 'guest']) })).body.message).toBe('access denied: not granted to every role of the caller');
    });
  });

  it('acl.grantsMatch sets the default; a method\'s @GrantsMatch replaces its class\'s', async () => {
    const module = MicrokubesModule.forRoot({ keysDir: keys.dir, acl: { grants: SEED_CONFIG, grantsMatch: 'all' } });
    await withRunningApp(platform, { imports: [module], controllers: [StrictController, LenientClassController] }, async ({ url }) => {
      const status = async (path: string) => (await getJson(`${url}${path}`, as(['user', 'guest']))).status;
      expect(await status('/strict')).toBe(403);
      expect(await status('/strict/lenient')).toBe(200);
      expect(await status('/lenient-class')).toBe(200);
      expect(await status('/lenient-class/strict')).toBe(403);
    });
  });

  it('refuses another grantsMatch at start-up, and another @GrantsMatch when it is applied', () => {
    expect(() => GrantsMatch('most' as 'all')).toThrow('@GrantsMatch(): must be "any" or "all" (got "most")');
  });
});
