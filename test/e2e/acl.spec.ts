import { All, Controller, Delete, Get, Post, Put, SetMetadata, UseGuards } from '@nestjs/common';
import { ACGuard, AccessControlModule, RolesBuilder, UseRoles } from 'nest-access-control';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessControlGuard, AclGuard, MicrokubesAuthGuard, MicrokubesModule, Public, Roles, RolesGuard, SkipAcl,
  type MicrokubesModuleOptions, type SeedAclConfig,
} from '../../lib/index.js';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir, type PlatformUser } from '../../lib/testing/index.js';
import { PLATFORMS, rawStatus, startApp, withRunningApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

interface Caller extends PlatformUser {
  scopes?: string;
}

/** One row of a decision table: who calls what, and the status they must get. */
type Row = [caller: string, method: string, path: string, status: number];

const callers: Record<string, Caller> = {
  anonymous: { userId: '', username: '' },
  noRoles: { userId: 'u-0', username: 'nobody@example.com', roles: [] },
  user: { userId: 'u-1', username: 'alice@example.com', roles: ['user'], organizations: ['acme'] },
  admin: { userId: 'u-2', username: 'root@example.com', roles: ['admin'] },
  editor: { userId: 'u-3', username: 'ed@example.com', roles: ['editor'] },
  adminAuditor: { userId: 'u-4', username: 'audit@example.com', roles: ['admin', 'auditor'] },
  ghost: { userId: 'u-5', username: 'ghost@example.com', roles: ['ghost'] },
  otherOrg: { userId: 'u-6', username: 'bob@example.com', roles: ['user'], organizations: ['globex'] },
  outsider: { userId: 'u-7', username: 'carol@other.org', roles: ['user'], organizations: ['acme'] },
  mallory: { userId: 'u-8', username: 'mallory@example.com', roles: ['user', 'admin'], organizations: ['acme'] },
  finance: { userId: 'u-9', username: 'fin@example.com', roles: ['user'], namespaces: ['finance'] },
  exporter: { userId: 'u-10', username: 'exp@example.com', roles: ['user'], scopes: 'api:read,api:export' },
};

async function runTable(app: RunningApp, keys: PlatformKeysDir, rows: Row[]): Promise<void> {
  const outcomes: string[] = [];
  const expected: string[] = [];
  for (const [name, method, path, status] of rows) {
    const caller = callers[name]!;
    const headers: Record<string, string> = {};
    if (name !== 'anonymous') headers.authorization = `Bearer ${jwtIssuerToken(keys.default.privateKey, caller, caller.scopes)}`;
    const response = await fetch(`${app.url}${path}`, { method, headers });
    const body = (await response.json()) as { code?: number; message?: string };
    // nest-access-control's own ACGuard (/ac) answers in Nest's default error format; ours in the platform's.
    if (response.status >= 400 && !path.startsWith('/ac')) {
      expect(body, `${name} ${method} ${path}`).toEqual({ code: response.status, message: expect.any(String) });
    }
    outcomes.push(`${name} ${method} ${path} -> ${response.status}`);
    expected.push(`${name} ${method} ${path} -> ${status}`);
  }
  expect(outcomes).toEqual(expected);
}

function withApp(platform: HttpPlatform, keys: PlatformKeysDir, options: MicrokubesModuleOptions, controllers: unknown[], run: (app: RunningApp) => Promise<void>, imports: unknown[] = []) {
  const metadata = { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, ...options }), ...(imports as [])], controllers: controllers as [] };
  return withRunningApp(platform, metadata, run);
}

const ok = () => ({ ok: true });

@Controller('roles')
@UseGuards(MicrokubesAuthGuard, RolesGuard)
@Roles('user')
class RolesController {
  @Get('class') classLevel() { return ok(); }
  @Get('admin') @Roles('admin') admin() { return ok(); }
  @Get('any') @Roles('admin', 'editor') any() { return ok(); }
  @Get('all') @Roles({ roles: ['admin', 'auditor'], match: 'all' }) all() { return ok(); }
}

/** No guard of its own: for `acl.globalGuards`. */
@Controller('global-roles')
class GlobalRolesController {
  @Get() @Roles('admin') admin() { return ok(); }
  @Get('open') open() { return ok(); }
}

@Controller('reports')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
@UseRoles({ resource: 'reports', action: 'read', possession: 'own' })
class ReportsController {
  @Get('mine') mine() { return ok(); }
  @Get('all') @UseRoles({ resource: 'reports', action: 'read', possession: 'any' }) all() { return ok(); }
  @Put('all') @UseRoles({ resource: 'reports', action: 'update', possession: 'any' }) update() { return ok(); }
}

/** nest-access-control's own guard, on the Auth's roles. */
@Controller('ac')
@UseGuards(MicrokubesAuthGuard, ACGuard)
class NestAccessControlController {
  @Get() @UseRoles({ resource: 'reports', action: 'read', possession: 'any' }) read() { return ok(); }
}

/** A 'roles' metadata that is not @UseRoles' (the NestJS docs' own RolesGuard pattern). */
@Controller('foreign-roles')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class ForeignRolesMetadataController {
  @Get() @SetMetadata('roles', ['admin']) list() { return ok(); }
  @Get('string') @SetMetadata('roles', 'admin') string() { return ok(); }
}

/** The seed README's example: `hello` with create/read/update/delete. */
@Controller('hello')
@UseGuards(MicrokubesAuthGuard, AccessControlGuard)
class SeedHelloController {
  @Get() @UseRoles({ resource: 'hello', action: 'read' }) read() { return ok(); }
  @Delete() @UseRoles({ resource: 'hello', action: 'delete' }) remove() { return ok(); }
}

@Controller()
@UseGuards(MicrokubesAuthGuard)
class PolicyController {
  @Get('todos') todos() { return ok(); }
  @Get('todos/:id') todo() { return ok(); }
  @Post('todos') createTodo() { return ok(); }
  @Get('reports') reports() { return ok(); }
  @Post('reports') writeReport() { return ok(); }
  @Get('export') exportAll() { return ok(); }
  @Get('users/:userId/profile') profile() { return ok(); }
  @Get('unlisted') unlisted() { return ok(); }
  @Get('skipped') @SkipAcl() skipped() { return ok(); }
  @Get('public') @Public() open() { return ok(); }
  @Get('todo/:id') platformTodo() { return ok(); }
  @Get('todo') platformTodoRoot() { return ok(); }
}

@Controller('explicit')
@UseGuards(MicrokubesAuthGuard, AclGuard)
class ExplicitAclController {
  @Get() get() { return ok(); }
}

const GRANTS = {
  user: { reports: { 'read:own': ['*'] } },
  admin: { reports: { 'read:any': ['*'], 'update:any': ['*'] } },
};

const SEED_CONFIG: SeedAclConfig = {
  struct: { hello: ['create', 'read', 'update', 'delete'] },
  grants: {
    user: { hello: ['create', 'read', 'update'] },
    admin: { hello: ['create', 'read', 'update', 'delete'] },
  },
  MACL_DEFFINITION: { roles: ['user', 'admin'] },
  MACL_DEFAULT_ROLES: ['user'],
};

/** The platform's service config, as PLATFORM.md section 6 shows it. */
const PLATFORM_CONFIG = JSON.parse(`{
  "security": {"acl": {"disable": false, "policies": [
    {"id": "todo-read", "effect": "allow", "subjects": ["<.+>"], "resources": ["/todo/<.+>"],
     "actions": ["api:read"], "conditions": {"roles": {"type": "RolesCondition", "options": {"values": ["user"]}}}}
  ]}}
}`);

const POLICIES = [
  { id: 'read-todos', effect: 'allow', subjects: ['<.+>'], resources: ['/todos', '/todos/<[0-9]+>'], actions: ['api:read'],
    conditions: { roles: { type: 'RolesCondition', options: { values: ['user'] } } } },
  { id: 'write-todos', effect: 'allow', subjects: ['<.+@example\\.com>'], resources: ['/todos<(/[0-9]+)?>'], actions: ['api:write'],
    conditions: { orgs: { type: 'OrganizationsCondition', options: { values: ['acme'] } } } },
  { id: 'finance-reports', effect: 'allow', subjects: ['<.+>'], resources: ['/reports'], actions: ['api:<read|write>'],
    conditions: { ns: { type: 'NamespacesCondition', options: { values: ['finance'] } } } },
  { id: 'export', effect: 'allow', subjects: ['<.+>'], resources: ['/export'], actions: ['api:read'],
    conditions: { scopes: { type: 'ScopesCondition', options: { values: ['api:export'] } } } },
  { id: 'own-profile', effect: 'allow', subjects: ['<.+>'], resources: ['/users/<[^/]+>/profile'], actions: ['api:read'],
    conditions: { userId: { type: 'OwnerCondition' } } },
  { id: 'explicit', effect: 'allow', subjects: ['<.+>'], resources: ['/explicit'], actions: ['api:read'] },
  { id: 'ban-mallory', effect: 'deny', description: 'deny wins over any allow', subjects: ['mallory@example.com'], resources: ['<.*>'], actions: ['<.*>'] },
  ...PLATFORM_CONFIG.security.acl.policies,
] as MicrokubesModuleOptions['acl'] extends infer A ? A extends { policies?: infer P } ? P : never : never;

describe.each(PLATFORMS)('access control (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  it('@Roles: any or all of the roles, the method over the class, 401 before 403', async () => {
    await withApp(platform, keys, {}, [RolesController], (app) => runTable(app, keys, [
      ['anonymous', 'GET', '/roles/class', 401],
      ['anonymous', 'GET', '/roles/admin', 401],
      ['noRoles', 'GET', '/roles/class', 403],
      ['ghost', 'GET', '/roles/class', 403],
      ['user', 'GET', '/roles/class', 200],
      ['user', 'GET', '/roles/admin', 403],
      ['user', 'GET', '/roles/any', 403],
      ['admin', 'GET', '/roles/class', 403],
      ['admin', 'GET', '/roles/admin', 200],
      ['admin', 'GET', '/roles/any', 200],
      ['editor', 'GET', '/roles/any', 200],
      ['admin', 'GET', '/roles/all', 403],
      ['adminAuditor', 'GET', '/roles/all', 200],
    ]));
  });

  it('@Roles with acl.globalGuards, on a controller without guards of its own', async () => {
    await withApp(platform, keys, { acl: { globalGuards: true } }, [GlobalRolesController], (app) => runTable(app, keys, [
      ['anonymous', 'GET', '/global-roles', 401],
      ['user', 'GET', '/global-roles', 403],
      ['admin', 'GET', '/global-roles', 200],
      ['anonymous', 'GET', '/global-roles/open', 200],
    ]));
  });

  it('@UseRoles with acl.grants: own and any possession, class-level @UseRoles, 403 for unknown or no roles', async () => {
    await withApp(platform, keys, { acl: { grants: GRANTS } }, [ReportsController], (app) => runTable(app, keys, [
      ['anonymous', 'GET', '/reports/mine', 401],
      ['user', 'GET', '/reports/mine', 200],
      ['user', 'GET', '/reports/all', 403],
      ['user', 'PUT', '/reports/all', 403],
      ['admin', 'GET', '/reports/mine', 200],
      ['admin', 'GET', '/reports/all', 200],
      ['admin', 'PUT', '/reports/all', 200],
      ['ghost', 'GET', '/reports/mine', 403],
      ['noRoles', 'GET', '/reports/mine', 403],
      ['editor', 'GET', '/reports/all', 403],
    ]));
  });

  it("answers 403, not a 500, to 'roles' metadata that is not @UseRoles'", async () => {
    await withApp(platform, keys, { acl: { grants: GRANTS } }, [ForeignRolesMetadataController], (app) => runTable(app, keys, [
      ['admin', 'GET', '/foreign-roles', 403],
      ['admin', 'GET', '/foreign-roles/string', 403],
    ]));
  });

  it("@UseRoles with nest-access-control's AccessControlModule.forRoles, and its own ACGuard", async () => {
    await withApp(platform, keys, {}, [ReportsController, NestAccessControlController], (app) => runTable(app, keys, [
      ['user', 'GET', '/reports/mine', 200],
      ['user', 'GET', '/reports/all', 403],
      ['admin', 'GET', '/reports/all', 200],
      ['ghost', 'GET', '/reports/all', 403],
      ['admin', 'GET', '/ac', 200],
      ['user', 'GET', '/ac', 403],
    ]), [AccessControlModule.forRoles(new RolesBuilder(GRANTS))]);
  });

  it("takes microkubes-python's ACL config, default roles included", async () => {
    await withApp(platform, keys, { acl: { grants: SEED_CONFIG } }, [SeedHelloController], (app) => runTable(app, keys, [
      ['user', 'GET', '/hello', 200],
      ['user', 'DELETE', '/hello', 403],
      ['admin', 'DELETE', '/hello', 200],
      ['noRoles', 'GET', '/hello', 200],
      ['noRoles', 'DELETE', '/hello', 403],
      ['ghost', 'GET', '/hello', 403],
    ]));
  });

  it('platform ACL policies: subjects, regex resources, actions, every condition, deny over allow', async () => {
    await withApp(platform, keys, { acl: { policies: POLICIES } }, [PolicyController, ExplicitAclController], async (app) => {
      await runTable(app, keys, [
        ['anonymous', 'GET', '/todos', 401],
        ['user', 'GET', '/todos', 200],
        ['user', 'GET', '/todos/5', 200],
        ['user', 'GET', '/todos/abc', 403],
        ['user', 'GET', '/todos?page=2', 200],
        ['noRoles', 'GET', '/todos', 403],
        ['ghost', 'GET', '/todos', 403],
        ['user', 'POST', '/todos', 201],
        ['otherOrg', 'POST', '/todos', 403],
        ['outsider', 'POST', '/todos', 403],
        ['outsider', 'GET', '/todos', 200],
        ['mallory', 'GET', '/todos', 403],
        ['mallory', 'POST', '/todos', 403],
        ['finance', 'GET', '/reports', 200],
        ['finance', 'POST', '/reports', 201],
        ['user', 'GET', '/reports', 403],
        ['exporter', 'GET', '/export', 200],
        ['user', 'GET', '/export', 403],
        ['user', 'GET', '/users/u-1/profile', 200],
        ['user', 'GET', '/users/alice@example.com/profile', 200],
        ['otherOrg', 'GET', '/users/u-1/profile', 403],
        ['user', 'GET', '/unlisted', 403],
        ['admin', 'GET', '/unlisted', 403],
        ['user', 'GET', '/skipped', 200],
        ['anonymous', 'GET', '/skipped', 401],
        ['anonymous', 'GET', '/public', 200],
        ['user', 'GET', '/todo/1', 200],
        ['admin', 'GET', '/todo/1', 403],
        ['user', 'GET', '/todo', 403],
        ['user', 'GET', '/explicit', 200],
        ['mallory', 'GET', '/explicit', 403],
      ]);
      const decisions = app.logger.lines.filter((line) => line.startsWith('ACL '));
      expect(decisions).toContain('ACL allowed api:read /todos for alice@example.com by policy "read-todos"');
      expect(decisions).toContain('ACL denied api:read /todos for mallory@example.com by policy "ban-mallory"');
      expect(decisions).toContain('ACL denied api:read /unlisted for alice@example.com as no policy allows it');
    });
  });

  it("the platform's security.acl block, taken as it is, disable switch included", async () => {
    await withApp(platform, keys, { acl: PLATFORM_CONFIG.security.acl }, [PolicyController], (app) => runTable(app, keys, [
      ['user', 'GET', '/todo/1', 200],
      ['admin', 'GET', '/todo/1', 403],
    ]));
    const disabled = { ...PLATFORM_CONFIG.security.acl, disable: true };
    await withApp(platform, keys, { acl: disabled }, [PolicyController, ExplicitAclController], (app) => runTable(app, keys, [
      ['admin', 'GET', '/todo/1', 200],
      ['admin', 'GET', '/explicit', 200],
    ]));
  });

  it('AclGuard alone, with enforcement off', async () => {
    await withApp(platform, keys, { acl: { policies: POLICIES, enforcePolicies: false } }, [PolicyController, ExplicitAclController], (app) =>
      runTable(app, keys, [
        ['user', 'GET', '/unlisted', 200],
        ['user', 'GET', '/explicit', 200],
        ['mallory', 'GET', '/explicit', 403],
        ['anonymous', 'GET', '/explicit', 401],
      ]));
  });
});

describe('access control start-up errors', () => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  const start = (acl: MicrokubesModuleOptions['acl']) => startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, acl })] });
  const policy = { id: 'p', effect: 'allow' as const, subjects: ['<.+>'], resources: ['/x'], actions: ['api:read'] };

  it.each([
    ['an invalid regex', { ...policy, resources: ['/x/<[>'] }, 'acl.policies[0] (p).resources[0]'],
    ['unbalanced delimiters', { ...policy, subjects: ['<.+'] }, 'acl.policies[0] (p).subjects[0]'],
    ['an unknown condition type', { ...policy, conditions: { c: { type: 'ColourCondition' } } }, 'acl.policies[0] (p).conditions.c.type'],
    ['a condition without values', { ...policy, conditions: { c: { type: 'RolesCondition' } } }, 'acl.policies[0] (p).conditions.c.options.values'],
    ['an unknown effect', { ...policy, effect: 'maybe' }, 'acl.policies[0] (p).effect'],
    ['no actions', { ...policy, actions: [] }, 'acl.policies[0] (p).actions'],
  ])('fails on %s, naming the policy', async (_case, bad, option) => {
    await expect(start({ policies: [bad as typeof policy] })).rejects.toThrow(`Invalid MicrokubesModule option "${option}"`);
  });

  it('fails on grants that nest-access-control refuses, or a seed action it does not know', async () => {
    await expect(start({ grants: { user: { reports: { 'fly:any': ['*'] } } } })).rejects.toThrow('Invalid MicrokubesModule option "acl.grants"');
    await expect(start({ grants: { grants: { user: { hello: ['fly'] } } } })).rejects.toThrow('unknown action "fly"');
  });
});

@Controller()
@UseGuards(MicrokubesAuthGuard)
class NormalisedPathController {
  @Get('admin') admin() { return ok(); }
  @Get('todos/:id') todo() { return ok(); }
  @All('dav') dav() { return ok(); }
}

describe.each(PLATFORMS)('ACL policies judge the path the router matched (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  const policies = [
    { id: 'read-anything', effect: 'allow' as const, subjects: ['<.+>'], resources: ['<.*>'], actions: ['api:read'] },
    { id: 'no-admin', effect: 'deny' as const, subjects: ['<.+>'], resources: ['/admin'], actions: ['<.*>'] },
    { id: 'no-todo-7', effect: 'deny' as const, subjects: ['<.+>'], resources: ['/todos/7'], actions: ['<.*>'] },
  ];

  it('refuses every spelling of a denied path that reaches its handler', async () => {
    await withApp(platform, keys, { acl: { policies } }, [NormalisedPathController], async (app) => {
      const token = jwtIssuerToken(keys.default.privateKey, callers.user!);
      const targets = ['/admin', '/Admin', '/admin/', '/%61dmin', `${app.url}/admin`, '/admin#x', '/admin?x=1', '/todos/7', '/todos/%37', '/Todos/7', '/todos/7/'];
      const statuses = Object.fromEntries(await Promise.all(targets.map(async (target) => [target, await rawStatus(app.url, 'GET', target, token)] as const)));
      for (const [target, status] of Object.entries(statuses)) expect([400, 403, 404], `${target} answered ${status}`).toContain(status);
      expect(statuses['/admin']).toBe(403);
      expect(statuses['/admin#x']).toBe(400);
      expect(statuses['/todos/%37']).toBe(403);
      expect(await rawStatus(app.url, 'GET', '/todos/8', token)).toBe(200);
    });
  });

  it('counts methods other than GET, HEAD and OPTIONS as writes', async () => {
    await withApp(platform, keys, { acl: { policies } }, [NormalisedPathController], async (app) => {
      const token = jwtIssuerToken(keys.default.privateKey, callers.user!);
      expect(await rawStatus(app.url, 'GET', '/dav', token)).toBe(200);
      for (const method of ['MOVE', 'POST', 'DELETE']) expect(await rawStatus(app.url, method, '/dav', token), method).toBe(403);
    });
  });
});
