import type { INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrokubesModuleOptions } from '../../lib/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { startNats, startRabbitMq, type Broker } from '../support/brokers.js';
import { inFlight } from '../support/in-flight.js';
import { startRedis } from '../support/redis-server.js';
import { auditsSeen, RpcHandlers } from '../support/rpc-handlers.js';
import { bearer, rpcEndpoint, TestRpcClient, type RpcHeaders, type RpcKind } from '../support/rpc-clients.js';
import { freePort, RecordingLogger } from '../support/test-app.js';

const anyone = { subjects: ['<.+>'], effect: 'allow' as const };
const OPTIONS: MicrokubesModuleOptions = {
  acl: {
    enforcePolicies: true,
    policies: [
      { id: 'messages', ...anyone, resources: ['rpc:<whoami|admin|audit>'], actions: ['api:read', 'api:write'] },
      { id: 'reports', ...anyone, resources: ['rpc:{"cmd":"report","version":1}'], actions: ['api:read'], conditions: { roles: { type: 'RolesCondition', options: { values: ['auditor'] } } } },
      { id: 'orders', ...anyone, resources: ['rpc:orders.write'], actions: ['api:write'], conditions: { roles: { type: 'RolesCondition', options: { values: ['editor'] } } } },
    ],
  },
};

/** An RPC refusal as the client receives it: Nest's client rejects with the server's `{ code, message }`. */
async function refusal(sent: Promise<unknown>): Promise<{ code?: unknown; message?: unknown }> {
  try {
    await sent;
  } catch (error) {
    return error as { code?: unknown; message?: unknown };
  }
  throw new Error('expected a refusal');
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

const KINDS: RpcKind[] = ['tcp', 'redis', 'nats', 'rmq'];

describe.each(KINDS)('message handlers behind the module over %s', (kind) => {
  const kit = MicrokubesTestingKit.create();
  const logger = new RecordingLogger();
  let broker: Broker | undefined;
  let app: INestMicroservice;
  let client: TestRpcClient;

  beforeAll(async () => {
    if (kind === 'redis') broker = await startRedis();
    if (kind === 'nats') broker = await startNats();
    if (kind === 'rmq') broker = await startRabbitMq();
    const endpoint = rpcEndpoint(kind, { port: kind === 'tcp' ? await freePort() : undefined, url: broker?.url });
    const moduleRef = await Test.createTestingModule({ imports: [kit.module(OPTIONS)], controllers: [RpcHandlers] }).setLogger(logger).compile();
    app = moduleRef.createNestMicroservice(endpoint.server);
    app.useLogger(logger);
    await app.listen();
    client = new TestRpcClient(endpoint);
    await client.proxy.connect();
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await broker?.stop();
    kit.remove();
  });

  it('runs a handler for a valid token, with the caller as @CurrentAuth()', async () => {
    const caller = await client.send('whoami', 'tag-1', bearer(kit.token({ userId: 'u-1', username: 'u1@example.com', roles: ['user'] })));
    expect(caller).toEqual({ userId: 'u-1', username: 'u1@example.com', roles: ['user'], tag: 'tag-1' });
  });

  it('refuses a message without a token with { code: 401, message }', async () => {
    expect(await refusal(client.send('whoami', 'x'))).toMatchObject({ code: 401, message: 'missing bearer token' });
  });

  it.each(MicrokubesTestingKit.create().refusedTokens().map((bad) => bad.name))('refuses a token that is %s with 401', async (name) => {
    const bad = kit.refusedTokens().find((token) => token.name === name)!;
    const refused = await refusal(client.send('whoami', 'x', bearer(bad.token)));
    expect(refused.code).toBe(401);
    expect(typeof refused.message).toBe('string');
    expect(String(refused.message)).not.toContain(bad.token.slice(0, 20));
  });

  it('refuses ambiguous and malformed token headers', async () => {
    const token = kit.token();
    const cases: RpcHeaders[] = [
      [['authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]],
      [['authorization', `Bearer ${token}\u0001`]],
      [['authorization', `Bearer ${'a'.repeat(20_000)}`]],
    ];
    for (const headers of cases) expect((await refusal(client.send('whoami', 'x', headers))).code).toBe(401);
    // Only the authorization header is read: a cookie is not a credential here.
    expect((await refusal(client.send('whoami', 'x', [['cookie', 'mk_saml_session=x']]))).code).toBe(401);
  });

  it('lets a @Public() handler through without a token', async () => {
    expect(await client.send('open', {})).toBe('open');
  });

  it('checks @Roles per message: 403 without the role, the handler with it', async () => {
    expect(await refusal(client.send('admin', {}, bearer(kit.token({ roles: ['user'] }))))).toMatchObject({ code: 403 });
    expect(await client.send('admin', {}, bearer(kit.token({ roles: ['admin'] })))).toBe('secret');
  });

  it('judges policies on the declared pattern (objects as Nest routes them), request-response as api:read', async () => {
    expect(await refusal(client.send({ version: 1, cmd: 'report' }, {}, bearer(kit.token({ roles: ['user'] }))))).toMatchObject({ code: 403 });
    expect(await client.send({ version: 1, cmd: 'report' }, {}, bearer(kit.token({ userId: 'a-1', roles: ['auditor'] })))).toBe('report for a-1');
  });

  it('takes the action a handler declares with @AclAction', async () => {
    expect(await refusal(client.send('orders.write', {}, bearer(kit.token({ roles: ['user'] }))))).toMatchObject({ code: 403 });
    expect(await client.send('orders.write', {}, bearer(kit.token({ userId: 'e-1', roles: ['editor'] })))).toBe('written by e-1');
  });

  it('drops an event with bad credentials, with a warning, and runs one with a valid token', async () => {
    auditsSeen.length = 0;
    await client.emit('audit', `${kind}-bad`, bearer(kit.expiredToken()));
    await client.emit('audit', `${kind}-none`);
    await client.emit('audit', `${kind}-good`, bearer(kit.token({ userId: 'auditor-1' })));
    await until(() => auditsSeen.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(auditsSeen).toEqual([{ userId: 'auditor-1', tag: `${kind}-good` }]);
    // In either order: a missing token is refused before an expired one has been verified.
    expect(logger.lines.filter((line) => line.startsWith('Dropped the event rpc:audit')).sort()).toEqual([
      'Dropped the event rpc:audit: missing bearer token',
      'Dropped the event rpc:audit: token expired',
    ]);
  });

  it('2,000 messages of 50 callers, 100 in flight: each handler sees its own caller', async () => {
    const tokens = Array.from({ length: 50 }, (_, i) => kit.token({ userId: `user-${i}`, username: `user-${i}@example.com`, roles: [`r${i}`] }));
    const wrong: string[] = [];
    await inFlight(2_000, 100, async (n) => {
      const i = n % 50;
      const seen = await client.send<{ userId: string; roles: string[]; tag: unknown }>('whoami', i, bearer(tokens[i]!));
      if (seen.userId !== `user-${i}` || seen.roles[0] !== `r${i}` || seen.tag !== i) wrong.push(`${i}: ${JSON.stringify(seen)}`);
    });
    expect(wrong).toEqual([]);
  }, 60_000);
});
