import { Controller, Get, UseGuards, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JWT_STRATEGY, TokenRevocations, type MicrokubesModuleOptions } from '../../lib/index.js';
import { MicrokubesIoAdapter } from '../../lib/socket.io/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { MicrokubesWsAdapter } from '../../lib/ws/index.js';
import { ChatGateway } from '../support/gateways.js';
import { GRAPHQL_RESOLVERS, graphql, graphqlModule, TickResolver } from '../support/graphql-app.js';
import { subscribe, within, type Subscribed } from '../support/graphql-ws-client.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REDIS_CLIENTS, type TestRedisClient } from '../support/revocation-replicas.js';
import { RpcHandlers } from '../support/rpc-handlers.js';
import { bearer as rpcBearer, rpcEndpoint, TestRpcClient } from '../support/rpc-clients.js';
import { connectSocket, type SocketKind, type TestSocket } from '../support/socket-clients.js';
import { bearer, freePort, getJson, startApp, type RunningApp } from '../support/test-app.js';

/** A route behind @nestjs/passport's own guard, by the module's strategy name. */
@Controller('passport')
@UseGuards(AuthGuard(JWT_STRATEGY))
class PassportGuardedController {
  @Get()
  hello() {
    return { hello: true };
  }
}

const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;

/** Every transport the guard covers refuses a revoked token with 401 `token revoked`, and ends what is open. */
describe('revoked tokens over every transport', () => {
  const kit = MicrokubesTestingKit.create();
  let redis: RedisServer;
  let client: TestRedisClient;
  let options: MicrokubesModuleOptions;

  beforeAll(async () => {
    redis = await startRedis();
    client = await REDIS_CLIENTS.redis(redis.url);
    options = { security: { revocation: { redis: client.client, prefix: `test:revocation:transports:${Date.now()}:` } } };
  });
  afterAll(async () => {
    await client?.close();
    await redis?.stop();
    kit.remove();
  });

  const adapters: Record<SocketKind, (app: INestApplication) => void> = {
    'socket.io': (app) => app.useWebSocketAdapter(new MicrokubesIoAdapter(app)),
    ws: (app) => app.useWebSocketAdapter(new MicrokubesWsAdapter(app)),
  };

  describe.each<SocketKind>(['ws', 'socket.io'])('%s gateways', (kind) => {
    let running: RunningApp;
    let revocations: TokenRevocations;
    const sockets: TestSocket[] = [];
    const connect = (token: string) => {
      const socket = connectSocket(kind, running.url, kind === 'socket.io' ? { auth: { token } } : { headers: { authorization: `Bearer ${token}` } });
      sockets.push(socket);
      return socket;
    };
    const expectEndedRevoked = async (socket: TestSocket) => {
      const ended = await within(socket.ended, 3_000);
      if (kind === 'socket.io') {
        expect(ended.reason).toBe('io server disconnect');
        expect(socket.received.at(-1)).toEqual({ event: 'exception', data: { status: 'error', code: 401, message: 'token revoked' } });
      } else {
        expect(ended).toEqual({ code: 4401, reason: 'token revoked' });
      }
    };

    beforeAll(async () => {
      running = await startApp('express', { imports: [kit.module(options)], providers: [ChatGateway] }, 0, { setup: adapters[kind] });
      revocations = running.app.get(TokenRevocations);
    });
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.close();
    });
    afterAll(async () => {
      await running?.close();
    });

    it('closes an open connection when its token is revoked, leaves others open, and refuses it at the next handshake', async () => {
      const token = kit.token({ userId: `${kind}-stolen` });
      const revoked = connect(token);
      const other = connect(kit.token({ userId: `${kind}-stolen` }));
      expect(await revoked.opened).toEqual({ open: true });
      expect(await other.opened).toEqual({ open: true });
      await revocations.revokeToken(token);
      await expectEndedRevoked(revoked);
      other.send('whoami');
      expect(await other.next('whoami')).toMatchObject({ userId: `${kind}-stolen` });
      expect(await connect(token).opened).toMatchObject({ open: false, code: 401, message: 'token revoked' });
    });

    it('closes every connection of a subject revoked, and accepts a token issued after', async () => {
      const user = `${kind}-locked`;
      const first = connect(kit.token({ userId: user }));
      const second = connect(kit.token({ userId: user }));
      await Promise.all([first.opened, second.opened]);
      await revocations.revokeSubject(user);
      await Promise.all([expectEndedRevoked(first), expectEndedRevoked(second)]);
      // Issued in a later second than the revocation: accepted (the same second is refused).
      await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 10));
      const later = connect(kit.token({ userId: user }));
      expect(await later.opened).toEqual({ open: true });
    });
  });

  describe('GraphQL, Apollo on Express', () => {
    let running: RunningApp;
    let revocations: TokenRevocations;
    const subscriptions: Subscribed[] = [];

    beforeAll(async () => {
      running = await startApp('express', {
        imports: [kit.module(options), graphqlModule('apollo', { subscriptions: true })],
        providers: [...GRAPHQL_RESOLVERS, TickResolver],
      });
      revocations = running.app.get(TokenRevocations);
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscribed) => subscribed.client.dispose()));
    });
    afterAll(async () => {
      await running?.close();
    });

    it('refuses a query with a revoked token as UNAUTHENTICATED `token revoked`', async () => {
      const token = kit.token({ userId: 'gql-stolen' });
      expect((await graphql(running.url, '{ whoami { userId } }', { token })).body.data).toEqual({ whoami: { userId: 'gql-stolen' } });
      await revocations.revokeToken({ jti: jtiOf(token), exp: Math.floor(Date.now() / 1000) + 3600 });
      const { body } = await graphql(running.url, '{ whoami { userId } }', { token });
      expect(body.errors?.[0]).toMatchObject({ message: 'token revoked', extensions: { code: 'UNAUTHENTICATED' } });
    });

    it('closes a subscription with 4401 `token revoked`, and refuses to open it again', async () => {
      const token = kit.token({ userId: 'gql-sub' });
      const open = () => {
        const subscribed = subscribe(running.url, { authorization: `Bearer ${token}` });
        subscriptions.push(subscribed);
        return subscribed;
      };
      const subscribed = open();
      expect(typeof (await within(subscribed.first, 5_000))).toBe('string');
      await revocations.revokeToken(token);
      expect(await within(subscribed.closed, 3_000)).toEqual({ code: 4401, reason: 'token revoked' });
      expect(await within(open().first, 3_000)).toEqual({ code: 4401, reason: 'token revoked' });
    });
  });

  it('refuses a revoked token behind AuthGuard(\'microkubes-jwt\') too (with passport\'s own 401 body)', async () => {
    const running = await startApp('express', { imports: [kit.module(options)], controllers: [PassportGuardedController] });
    try {
      const token = kit.token({ userId: 'passport-stolen' });
      expect((await getJson(`${running.url}/passport`, bearer(token))).status).toBe(200);
      await running.app.get(TokenRevocations).revokeToken(token);
      expect(await getJson(`${running.url}/passport`, bearer(token))).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
      expect((await getJson(`${running.url}/passport`, bearer(kit.token({ userId: 'passport-other' })))).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  describe('message handlers over TCP', () => {
    let app: INestMicroservice;
    let rpc: TestRpcClient;

    beforeAll(async () => {
      const endpoint = rpcEndpoint('tcp', { port: await freePort() });
      const moduleRef = await Test.createTestingModule({ imports: [kit.module(options)], controllers: [RpcHandlers] }).compile();
      app = moduleRef.createNestMicroservice(endpoint.server);
      await app.listen();
      rpc = new TestRpcClient(endpoint);
      await rpc.proxy.connect();
    });
    afterAll(async () => {
      await rpc?.close();
      await app?.close();
    });

    it('refuses a message with a revoked token with { code: 401, message: "token revoked" }', async () => {
      const token = kit.token({ userId: 'rpc-stolen' });
      expect(await rpc.send('whoami', 'before', rpcBearer(token))).toMatchObject({ userId: 'rpc-stolen' });
      await app.get(TokenRevocations).revokeToken(token);
      const refused = await rpc.send('whoami', 'after', rpcBearer(token)).then(() => undefined, (error: unknown) => error);
      expect(refused).toMatchObject({ code: 401, message: 'token revoked' });
    });
  });
});
