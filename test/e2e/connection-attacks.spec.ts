import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { UseGuards } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { createClient } from 'graphql-ws';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from '../../lib/index.js';
import { MicrokubesIoAdapter } from '../../lib/socket.io/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { MicrokubesWsAdapter } from '../../lib/ws/index.js';
import { ChatGateway } from '../support/gateways.js';
import { GRAPHQL_RESOLVERS, graphql, TickResolver } from '../support/graphql-app.js';
import { startApp, type RunningApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A subscription's first event over a real graphql-ws client: a value, or the error it got instead. */
function firstEvent(url: string, connectionParams: Record<string, unknown>): Promise<{ value?: unknown; error?: unknown }> {
  const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
  return new Promise<{ value?: unknown; error?: unknown }>((resolve) => {
    client.subscribe(
      { query: 'subscription { ticks }' },
      { next: (value) => resolve(value.errors ? { error: value.errors } : { value: value.data }), error: (error) => resolve({ error }), complete: () => resolve({}) },
    );
  }).finally(() => void client.dispose());
}

describe('GraphQL: a context of the app', () => {
  const kit = MicrokubesTestingKit.create();
  const database = { close: vi.fn() };
  let running: RunningApp;

  beforeAll(async () => {
    const graphqlModule = GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      // An app's own `connection` (its database, say) beside the request.
      context: ({ req }: { req: unknown }) => ({ req, connection: database }),
      // A graphql-ws context of the app's own (graphql-ws' `context` option), not graphqlWsAuthentication()'s.
      subscriptions: { 'graphql-ws': { context: (ctx: { extra: { request: unknown } }) => ({ req: ctx.extra.request, connection: database }) } as never },
    });
    running = await startApp('express', { imports: [kit.module({ acl: { enforcePolicies: false } }), graphqlModule], providers: [...GRAPHQL_RESOLVERS, TickResolver] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('is never closed by a refusal: only a connection graphqlWsAuthentication() made is', async () => {
    const { body } = await graphql(running.url, '{ whoami { userId } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(database.close).not.toHaveBeenCalled();
  });

  it('refuses a subscription whose context graphqlWsAuthentication() did not make (the upgrade request holds cookies)', async () => {
    const { error, value } = await firstEvent(running.url, { authorization: kit.authorization() });
    expect(value).toBeUndefined();
    expect(JSON.stringify(error)).toContain('subscription not authenticated at its connection');
    expect(database.close).not.toHaveBeenCalled();
  });
});

describe('GraphQL: Mercurius subscriptions', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    const graphqlModule = GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, subscription: true });
    running = await startApp('fastify', { imports: [kit.module({ acl: { enforcePolicies: false } }), graphqlModule], providers: [...GRAPHQL_RESOLVERS, TickResolver] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('are refused, valid token or not: Mercurius hands the guard the upgrade request, not a connection the module authenticated', async () => {
    const { error, value } = await firstEvent(running.url, { authorization: kit.authorization() });
    expect(value).toBeUndefined();
    expect(JSON.stringify(error)).toContain('subscription not authenticated at its connection');
  });
});

/** A ws gateway whose verifyClient of the app's own throws for a request without `x-tenant`. */
@WebSocketGateway({ path: '/throwing', verifyClient: (info: { req: { headers: Record<string, string | undefined> } }) => info.req.headers['x-tenant']!.toLowerCase() === 'acme' })
@UseGuards(MicrokubesAuthGuard)
class ThrowingCheckGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentAuth() auth: Auth) {
    return { event: 'whoami', data: { userId: auth.userId } };
  }
}

/** The HTTP response to an upgrade request written by hand, and a socket that ignores close frames. */
function rawUpgrade(url: string, path: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let buffered = Buffer.alloc(0);
  let head = '';
  const ended = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const upgraded = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!head) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buffered.subarray(0, end).toString();
        buffered = buffered.subarray(end + 4);
        resolve(head);
      }
      // Server frames are unmasked; payloads here are short (< 126 bytes) or 16-bit lengths.
      while (buffered.length >= 2) {
        let length = buffered[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        }
        if (buffered.length < offset + length) return;
        frames.push({ opcode: buffered[0]! & 0x0f, payload: buffered.subarray(offset, offset + length) });
        buffered = buffered.subarray(offset + length);
      }
    });
    socket.on('error', () => {});
  });
  const lines = Object.entries({ Host: hostname, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers });
  socket.write(`GET ${path} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`);
  /** A masked text frame, as a client must send it. */
  const sendText = (text: string) => {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  };
  return { upgraded, frames, sendText, ended, destroy: () => socket.destroy() };
}

describe('ws gateways: an app verifyClient that throws, a peer that ignores the close', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    running = await startApp('express', { imports: [kit.module({ acl: { enforcePolicies: false } })], providers: [ChatGateway, ThrowingCheckGateway] }, 0, {
      setup: (app) => app.useWebSocketAdapter(new MicrokubesWsAdapter(app)),
    });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await running?.close();
    kit.remove();
  });

  it('answers the upgrade 500 when the app verifyClient throws, with no unhandled rejection', async () => {
    const raw = rawUpgrade(running.url, '/throwing', { Authorization: kit.authorization() });
    const head = await Promise.race([raw.upgraded, sleep(3_000).then(() => 'no answer')]);
    raw.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 500/);
    await sleep(50);
    expect(unhandled).toEqual([]);
    expect(running.logger.lines.some((line) => line.startsWith('verifyClient of ws upgrade /throwing failed'))).toBe(true);
  });

  it('handles nothing more as the caller once the token expired, and cuts off a peer that ignores the close frame', async () => {
    const raw = rawUpgrade(running.url, '/', { Authorization: `Bearer ${kit.expiringToken(2, { userId: 'mallory' })}` });
    expect(await raw.upgraded).toMatch(/^HTTP\/1\.1 101/);
    const ticker = setInterval(() => raw.sendText(JSON.stringify({ event: 'whoami' })), 100);
    try {
      const closedAt = await new Promise<number>((resolve) => {
        const poll = setInterval(() => {
          if (raw.frames.some((frame) => frame.opcode === 0x8)) {
            clearInterval(poll);
            resolve(Date.now());
          }
        }, 10);
      });
      const answeredBeforeClose = raw.frames.filter((frame) => frame.opcode === 0x1).length;
      expect(answeredBeforeClose).toBeGreaterThan(0);
      const endedAt = await Promise.race([raw.ended, sleep(5_000).then(() => Number.POSITIVE_INFINITY)]);
      expect(endedAt - closedAt).toBeLessThan(2_000);
      const afterClose = raw.frames.slice(raw.frames.findIndex((frame) => frame.opcode === 0x8));
      expect(afterClose.filter((frame) => frame.opcode === 0x1 && frame.payload.toString().includes('mallory'))).toEqual([]);
      const close = raw.frames.find((frame) => frame.opcode === 0x8)!;
      expect(close.payload.readUInt16BE(0)).toBe(4401);
    } finally {
      clearInterval(ticker);
      raw.destroy();
    }
  }, 15_000);
});

@WebSocketGateway({ namespace: 'recover', connectionStateRecovery: { maxDisconnectionDuration: 60_000 } })
@UseGuards(MicrokubesAuthGuard)
class RecoveringGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentAuth() auth: Auth) {
    return { event: 'whoami', data: { userId: auth.userId } };
  }
}

describe('socket.io: connection state recovery', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;
  const sockets: Array<{ close(): void }> = [];

  beforeAll(async () => {
    running = await startApp('express', { imports: [kit.module({ acl: { enforcePolicies: false } })], providers: [RecoveringGateway] }, 0, {
      setup: (app) => app.useWebSocketAdapter(new MicrokubesIoAdapter(app)),
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('does not bring back a socket whose token expired while it was away: the handshake is checked again', async () => {
    const socket = io(`${running.url}/recover`, {
      auth: { token: kit.expiringToken(2, { userId: 'roamer' }) },
      transports: ['websocket'],
      reconnectionDelay: 3_000,
      randomizationFactor: 0,
      reconnectionAttempts: 1,
    });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const answer = new Promise((resolve) => socket.once('whoami', resolve));
    socket.emit('whoami');
    expect(await answer).toEqual({ userId: 'roamer' });
    // The transport drops (not a disconnect): the client comes back after its token's exp.
    socket.io.engine.close();
    const back = await new Promise<{ connected: boolean; recovered?: boolean; error?: string }>((resolve) => {
      socket.once('connect', () => resolve({ connected: true, recovered: socket.recovered }));
      socket.once('connect_error', (error) => resolve({ connected: false, error: error.message }));
    });
    expect(back).toEqual({ connected: false, error: 'token expired' });
  }, 15_000);
});
