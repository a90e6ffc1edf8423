import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesModule } from '../../lib/index.js';
import { jwtIssuerToken, MicrokubesTestingKit, rsaKeyPair } from '../../lib/testing/index.js';
import { GRAPHQL_RESOLVERS, graphqlModule, TickResolver } from '../support/graphql-app.js';
import { subscribe, within } from '../support/graphql-ws-client.js';
import { HelloController } from '../support/hello.controller.js';
import { bearer, getJson, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

describe.each<HttpPlatform>(['express', 'fastify'])('graphql-ws subscriptions, Apollo on %s', (platform) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;
  const clients: Client[] = [];
  const open = (connectionParams: Record<string, unknown> | undefined, query?: string, headers?: Record<string, string>) => {
    const subscribed = subscribe(running.url, connectionParams, query, headers);
    clients.push(subscribed.client);
    return subscribed;
  };

  beforeAll(async () => {
    running = await startApp(platform, {
      imports: [kit.module(), graphqlModule('apollo', { subscriptions: true })],
      controllers: [HelloController],
      providers: [...GRAPHQL_RESOLVERS, TickResolver],
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('accepts a connection with the token in connectionParams, and gives its caller to the resolver', async () => {
    const { first } = open(kit.connectionParams({ userId: 'alice' }));
    expect(await within(first, 5_000)).toBe('alice:0');
  });

  it.each([
    ['authorization, Bearer', (token: string) => ({ authorization: `Bearer ${token}` })],
    ['Authorization, Bearer', (token: string) => ({ Authorization: `Bearer ${token}` })],
    ['authorization, the bare token', (token: string) => ({ authorization: token })],
    ['Authorization, the bare token', (token: string) => ({ Authorization: token })],
  ])('takes the token from connectionParams.%s', async (_name, params) => {
    const { first } = open(params(kit.token({ userId: 'bob' })));
    expect(await within(first, 5_000)).toBe('bob:0');
  });

  it('takes the token from the upgrade request when connectionParams carry none', async () => {
    const { first } = open(undefined, 'subscription { ticks }', { authorization: kit.authorization({ userId: 'dave' }) });
    expect(await within(first, 5_000)).toBe('dave:0');
  });

  it('refuses every bad token at connection_init with close 4401 and the message HTTP gives', async () => {
    const cases = [{ name: 'missing', token: undefined as string | undefined }, ...kit.refusedTokens()];
    for (const { name, token } of cases) {
      const http = await getJson(`${running.url}/hello`, token === undefined ? {} : bearer(token));
      const { first, values } = open(token === undefined ? {} : { authorization: `Bearer ${token}` });
      expect(await within(first, 5_000), name).toEqual({ code: 4401, reason: http.body.message });
      expect(values, name).toEqual([]);
    }
  });

  it('refuses ambiguous and malformed connectionParams with 4401', async () => {
    const token = kit.token();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['both spellings', { authorization: `Bearer ${token}`, Authorization: `Bearer ${token}` }, 'ambiguous credentials: both authorization and Authorization in connectionParams'],
      ['not a string', { authorization: { token } }, 'malformed token: not a string'],
      ['a control character', { authorization: `Bearer ${token}\n` }, 'malformed token'],
      ['too long', { authorization: `Bearer ${'a'.repeat(20_000)}` }, 'malformed token: too long'],
    ];
    for (const [name, params, reason] of cases) {
      expect(await within(open(params).first, 5_000), name).toEqual({ code: 4401, reason });
    }
    const both = open(kit.connectionParams(), 'subscription { ticks }', { authorization: kit.authorization() });
    expect(await within(both.first, 5_000)).toEqual({ code: 4401, reason: 'ambiguous credentials: both connectionParams and a token header' });
  });

  it('closes the connection with 4403 for a subscription the caller may not make', async () => {
    const refused = open(kit.connectionParams(), 'subscription { adminTicks }');
    expect(await within(refused.first, 5_000)).toEqual({ code: 4403, reason: 'access denied: requires the role admin' });
    const allowed = open(kit.connectionParams({ userId: 'root', roles: ['admin'] }), 'subscription { adminTicks }');
    expect(await within(allowed.first, 5_000)).toBe('root:0');
  });

  it('closes the connection with 4401 when its token expires', async () => {
    const { first, closed, values } = open({ authorization: `Bearer ${kit.expiringToken(2)}` });
    expect(await within(first, 5_000)).toMatch(/^user-1:0$/);
    expect(await within(closed, 5_000)).toEqual({ code: 4401, reason: 'token expired' });
    expect(values.length).toBeGreaterThan(5);
  });

  it('gives concurrent connections each their own caller', async () => {
    const subscriptions = Array.from({ length: 40 }, (_, i) => ({ userId: `user-${i % 10}`, sub: open(kit.connectionParams({ userId: `user-${i % 10}` })) }));
    const firsts = await within(Promise.all(subscriptions.map(({ sub }) => sub.first)), 10_000);
    expect(firsts).toEqual(subscriptions.map(({ userId }) => `${userId}:0`));
  });
});

describe('graphql-ws subscriptions across a key rotation', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp('express', {
      imports: [MicrokubesModule.forRoot({ keysDir: kit.keysDir, watchKeys: true }), graphqlModule('apollo', { subscriptions: true })],
      controllers: [HelloController],
      providers: [...GRAPHQL_RESOLVERS, TickResolver],
    });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('verifies new connections with the new key; an open connection lives on until its exp', async () => {
    const before = subscribe(running.url, kit.connectionParams({ userId: 'old-key' }));
    expect(await within(before.first, 5_000)).toBe('old-key:0');

    const next = rsaKeyPair();
    writeFileSync(join(kit.keysDir, 'default.pub'), next.publicPem);
    const newToken = jwtIssuerToken(next.privateKey, { userId: 'new-key', username: 'new@example.com' });
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${running.url}/hello`, bearer(newToken))).status !== 200) {
      if (Date.now() > deadline) throw new Error('the new key was not picked up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const oldKey = subscribe(running.url, kit.connectionParams({ userId: 'old-key' }));
    expect(await within(oldKey.first, 5_000)).toEqual({ code: 4401, reason: 'invalid signature' });
    const newKey = subscribe(running.url, { authorization: `Bearer ${newToken}` });
    expect(await within(newKey.first, 5_000)).toBe('new-key:0');
    const seen = before.values.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(before.values.length).toBeGreaterThan(seen);
    await Promise.all([before.client.dispose(), oldKey.client.dispose(), newKey.client.dispose()]);
  });
});
