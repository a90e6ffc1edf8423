import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MicrokubesAuthenticator, type MicrokubesModuleOptions } from '../../lib/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { GRAPHQL_RESOLVERS, GRAPHQL_SETUPS, graphql, graphqlModule, type GraphqlResponse } from '../support/graphql-app.js';
import { HelloController } from '../support/hello.controller.js';
import { getJson, startApp, type RunningApp } from '../support/test-app.js';

const anyone = { subjects: ['<.+>'], effect: 'allow' as const };
const roles = (...values: string[]) => ({ roles: { type: 'RolesCondition', options: { values } } });

/** Policies on GraphQL's resources: `graphql:<Type>.<field>`, queries api:read, mutations api:write. */
const OPTIONS: MicrokubesModuleOptions = {
  security: { tokenCache: false },
  acl: {
    grants: { auditor: { reports: { 'read:any': ['*'] } } },
    policies: [
      { id: 'http-hello', ...anyone, resources: ['/hello'], actions: ['api:read'] },
      { id: 'queries', ...anyone, resources: ['graphql:Query.<.+>'], actions: ['api:read'], conditions: roles('user', 'admin', 'auditor', 'editor') },
      { id: 'add-todo', ...anyone, resources: ['graphql:Mutation.addTodo'], actions: ['api:write'], conditions: roles('editor') },
      { id: 'touch-todo', ...anyone, resources: ['graphql:Mutation.touchTodo'], actions: ['api:read'], conditions: roles('user') },
      { id: 'todo-audit', ...anyone, resources: ['graphql:Todo.audit'], actions: ['api:read'], conditions: roles('editor') },
      { id: 'no-todos-for-banned', effect: 'deny', subjects: ['<.+>'], resources: ['graphql:Query.todos'], actions: ['api:read'], conditions: roles('banned') },
    ],
  },
};

const errorOf = (body: GraphqlResponse) => body.errors?.[0];

describe.each(GRAPHQL_SETUPS)('GraphQL behind MicrokubesAuthGuard: $name', ({ platform, driver }) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;
  const nodeEnv = process.env.NODE_ENV;

  beforeAll(async () => {
    // Apollo adds stack traces to errors outside production and test: judged as in development.
    process.env.NODE_ENV = 'development';
    running = await startApp(platform, { imports: [kit.module(OPTIONS), graphqlModule(driver)], controllers: [HelloController], providers: GRAPHQL_RESOLVERS });
  });
  afterAll(async () => {
    process.env.NODE_ENV = nodeEnv;
    await running?.close();
    kit.remove();
  });

  it('answers a query with the caller of the HTTP request, through @CurrentAuth() and the REQUEST-scoped MICROKUBES_AUTH', async () => {
    const { status, body } = await graphql(running.url, '{ whoami { userId username roles } scopedUserId methodGuarded todos { owner } }', { token: kit.token() });
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { whoami: { userId: 'user-1', username: 'user@example.com', roles: ['user'] }, scopedUserId: 'user-1', methodGuarded: 'user@example.com', todos: [{ owner: 'user@example.com' }] },
    });
  });

  it('takes OAuth2 access tokens as HTTP routes do', async () => {
    const { body } = await graphql(running.url, '{ whoami { userId } }', { token: kit.oauth2Token({ userId: 'client-user' }) });
    expect(body.data).toEqual({ whoami: { userId: 'client-user' } });
  });

  it('refuses every bad token as UNAUTHENTICATED, with the message HTTP gives, and no stack, token or key', async () => {
    const cases = [{ name: 'missing', token: undefined as string | undefined }, ...kit.refusedTokens()];
    for (const { name, token } of cases) {
      const http = await getJson(`${running.url}/hello`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      const { status, body } = await graphql(running.url, '{ whoami { userId } }', { token });
      const text = JSON.stringify(body);
      expect(status, name).toBe(200);
      expect(http.status, name).toBe(401);
      expect(body.data ?? null, name).toBeNull();
      expect(body.errors, name).toHaveLength(1);
      expect(errorOf(body), name).toMatchObject({ message: http.body.message, extensions: { code: 'UNAUTHENTICATED' }, path: ['whoami'] });
      expect(text, name).not.toMatch(/\bat .+:\d+:\d+|node_modules|BEGIN|PRIVATE/);
      if (token) expect(text, name).not.toContain(token);
      const signature = token?.split('.')[2];
      if (signature && signature.length > 20) expect(text, name).not.toContain(signature);
    }
  });

  it('refuses an Authorization header that is no bearer token', async () => {
    const { body } = await graphql(running.url, '{ whoami { userId } }', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(errorOf(body)?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lets @Public() fields through and refuses the guarded ones of the same operation', async () => {
    const { body } = await graphql(running.url, '{ ping unguarded methodGuarded }');
    expect(body.data).toBeNull();
    const ping = await graphql(running.url, '{ ping unguarded }');
    expect(ping.body).toEqual({ data: { ping: 'pong', unguarded: 'open' } });
  });

  it('checks @Roles on queries: FORBIDDEN with the HTTP message', async () => {
    const refused = await graphql(running.url, '{ adminReport }', { token: kit.token() });
    expect(errorOf(refused.body)).toMatchObject({ message: 'access denied: requires the role admin', extensions: { code: 'FORBIDDEN' } });
    const allowed = await graphql(running.url, '{ adminReport }', { token: kit.token({ roles: ['admin'] }) });
    expect(allowed.body).toEqual({ data: { adminReport: 'report' } });
  });

  it('checks grants (@UseRoles) on queries', async () => {
    const refused = await graphql(running.url, '{ grantedReport }', { token: kit.token() });
    expect(errorOf(refused.body)?.extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(refused.body)?.message).toMatch(/^access denied/);
    const allowed = await graphql(running.url, '{ grantedReport }', { token: kit.token({ roles: ['auditor'] }) });
    expect(allowed.body).toEqual({ data: { grantedReport: 'granted' } });
  });

  it('judges policies on graphql:<Type>.<field>: queries as api:read, mutations as api:write', async () => {
    const guest = await graphql(running.url, '{ whoami { userId } }', { token: kit.token({ roles: ['guest'] }) });
    expect(errorOf(guest.body)).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const banned = await graphql(running.url, '{ whoami { userId } todos { id } }', { token: kit.token({ roles: ['user', 'banned'] }) });
    expect(banned.body.data).toBeNull();
    expect(errorOf(banned.body)).toMatchObject({ path: ['todos'], extensions: { code: 'FORBIDDEN' } });

    const mutation = 'mutation { addTodo(title: "ship it") { title owner } }';
    const user = await graphql(running.url, mutation, { token: kit.token() });
    expect(errorOf(user.body)).toMatchObject({ path: ['addTodo'], extensions: { code: 'FORBIDDEN' } });
    const editor = await graphql(running.url, mutation, { token: kit.token({ roles: ['editor'] }) });
    expect(editor.body).toEqual({ data: { addTodo: { title: 'ship it', owner: 'user@example.com' } } });
  });

  it("judges the fields of what a mutation returns as reads: only the mutation's root field writes", async () => {
    const { body } = await graphql(running.url, 'mutation { addTodo(title: "t") { title audit } }', { token: kit.token({ userId: 'ed', roles: ['editor'] }) });
    expect(body).toEqual({ data: { addTodo: { title: 't', audit: '2 seen by ed' } } });
    const query = await graphql(running.url, '{ todos { audit } }', { token: kit.token({ roles: ['user'] }) });
    expect(errorOf(query.body)).toMatchObject({ path: ['todos', expect.anything(), 'audit'], extensions: { code: 'FORBIDDEN' } });
  });

  it('judges a mutation as the action @AclAction() names', async () => {
    const { body } = await graphql(running.url, 'mutation { touchTodo(id: "7") { id title } }', { token: kit.token() });
    expect(body).toEqual({ data: { touchTodo: { id: '7', title: 'touched' } } });
  });

  it('verifies the token once per operation: 50 guarded fields, 50 guarded field resolvers, one verification each', async () => {
    const authenticator = running.app.get(MicrokubesAuthenticator);
    const verify = vi.spyOn(authenticator, 'verify');
    try {
      const fields = Array.from({ length: 50 }, (_, i) => `f${i}: whoami { userId }`).join(' ');
      const aliased = await graphql(running.url, `{ ${fields} }`, { token: kit.token() });
      expect(Object.keys(aliased.body.data ?? {})).toHaveLength(50);
      expect(verify).toHaveBeenCalledTimes(1);

      verify.mockClear();
      const items = await graphql(running.url, '{ items { n owner } }', { token: kit.token({ userId: 'u-50' }) });
      expect(items.body.data?.items).toEqual(Array.from({ length: 50 }, (_, n) => ({ n, owner: `u-50#${n}` })));
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('never lets concurrent operations see each other’s caller', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const userId = `user-${i % 20}`;
        const { body } = await graphql(running.url, '{ whoami { userId } scopedUserId items { owner } }', { token: kit.token({ userId }) });
        const data = body.data as { whoami: { userId: string }; scopedUserId: string; items: Array<{ owner: string }> };
        return data.whoami.userId === userId && data.scopedUserId === userId && data.items.every((item) => item.owner.startsWith(`${userId}#`));
      }),
    );
    expect(results.filter((ok) => !ok)).toHaveLength(0);
  });

  it('logs a refusal at debug level with the field, never the token', async () => {
    const token = kit.expiredToken();
    await graphql(running.url, '{ whoami { userId } }', { token });
    expect(running.logger.lines).toContain('Refused graphql query Query.whoami: token expired');
    expect(running.logger.lines.join('\n')).not.toContain(token);
  });
});

describe.each(GRAPHQL_SETUPS)('MicrokubesAuthGuard as a global guard on resolvers: $name', ({ platform, driver }) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(platform, { imports: [kit.module({ security: { globalGuard: true } }), graphqlModule(driver)], providers: GRAPHQL_RESOLVERS });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('secures a resolver that has no @UseGuards of its own', async () => {
    const refused = await graphql(running.url, '{ unguarded }');
    expect(errorOf(refused.body)?.extensions?.code).toBe('UNAUTHENTICATED');
    const allowed = await graphql(running.url, '{ unguarded whoami { userId } }', { token: kit.token() });
    expect(allowed.body).toEqual({ data: { unguarded: 'open', whoami: { userId: 'user-1' } } });
    const open = await graphql(running.url, '{ ping }');
    expect(open.body).toEqual({ data: { ping: 'pong' } });
  });
});
