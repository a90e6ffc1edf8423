import type { INestApplication } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import type { MicrokubesModuleOptions } from '../../lib/index.js';
import { MicrokubesIoAdapter } from '../../lib/socket.io/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { MicrokubesWsAdapter } from '../../lib/ws/index.js';
import { ChatGateway, CheckedGateway, connectionsSeen } from '../support/gateways.js';
import { HelloController } from '../support/hello.controller.js';
import { connectSocket, type SocketKind, type TestSocket } from '../support/socket-clients.js';
import { getJson, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const anyone = { subjects: ['<.+>'], effect: 'allow' as const };
const OPTIONS: MicrokubesModuleOptions = {
  acl: {
    grants: { auditor: { reports: { 'read:any': ['*'] } } },
    policies: [
      { id: 'http-hello', ...anyone, resources: ['/hello'], actions: ['api:read'] },
      { id: 'messages', ...anyone, resources: ['ws:<whoami|admin|report>'], actions: ['api:read'] },
      { id: 'posts', ...anyone, resources: ['ws:post'], actions: ['api:write'], conditions: { roles: { type: 'RolesCondition', options: { values: ['editor'] } } } },
    ],
  },
};

const adapters: Record<SocketKind, (app: INestApplication) => void> = {
  'socket.io': (app) => app.useWebSocketAdapter(new MicrokubesIoAdapter(app)),
  ws: (app) => app.useWebSocketAdapter(new MicrokubesWsAdapter(app)),
};

const SETUPS: Array<{ kind: SocketKind; platform: HttpPlatform }> = [
  { kind: 'socket.io', platform: 'express' },
  { kind: 'socket.io', platform: 'fastify' },
  { kind: 'ws', platform: 'express' },
  { kind: 'ws', platform: 'fastify' },
];

describe.each(SETUPS)('$kind gateways behind the module ($platform)', ({ kind, platform }) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;
  const sockets: TestSocket[] = [];
  const connect = (presented: Parameters<typeof connectSocket>[2] = {}) => {
    const socket = connectSocket(kind, running.url, presented);
    sockets.push(socket);
    return socket;
  };
  /** The token as each library carries it: socket.io's `auth.token`, ws' upgrade `Authorization` header. */
  const withToken = (token: string) => (kind === 'socket.io' ? { auth: { token } } : { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    running = await startApp(platform, { imports: [kit.module(OPTIONS)], controllers: [HelloController], providers: [ChatGateway] }, 0, { setup: adapters[kind] });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('authenticates the connection once, before handleConnection, and keeps the caller for @CurrentAuth()', async () => {
    connectionsSeen.length = 0;
    const socket = connect(withToken(kit.token({ userId: 'alice' })));
    expect(await socket.opened).toEqual({ open: true });
    socket.send('whoami', 'first');
    expect(await socket.next('whoami')).toEqual({ userId: 'alice', roles: ['user'], tag: 'first' });
    expect(connectionsSeen).toEqual(['alice']);
  });

  it('refuses every bad token at the connection, with the message HTTP gives, before any handler runs', async () => {
    connectionsSeen.length = 0;
    const cases = [{ name: 'missing', token: undefined as string | undefined }, ...kit.refusedTokens()];
    for (const { name, token } of cases) {
      const http = await getJson(`${running.url}/hello`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      const socket = connect(token === undefined ? {} : withToken(token));
      const opened = await socket.opened;
      expect(opened, name).toMatchObject({ open: false, code: 401, message: http.body.message });
      if (kind === 'ws') {
        expect(opened, name).toMatchObject({ status: 401 });
        expect((opened as { headers?: Record<string, unknown> }).headers?.['www-authenticate'], name).toBe(http.headers.get('www-authenticate'));
      }
    }
    expect(connectionsSeen).toEqual([]);
  });

  it('takes the token from the Authorization header of the upgrade request', async () => {
    const socket = connect({ headers: { authorization: kit.authorization({ userId: 'bob' }) } });
    expect(await socket.opened).toEqual({ open: true });
    socket.send('whoami');
    expect(await socket.next('whoami')).toMatchObject({ userId: 'bob' });
  });

  it('never takes a token from the query string, nor a session from a cookie', async () => {
    const token = kit.token();
    for (const query of [`token=${token}`, `access_token=${token}`, `authorization=Bearer%20${token}`]) {
      expect(await connect({ query }).opened, query).toMatchObject({ open: false, code: 401, message: 'missing bearer token' });
    }
    expect(await connect({ headers: { cookie: `mk_session=${token}` } }).opened).toMatchObject({ open: false, code: 401 });
  });

  if (kind === 'socket.io') {
    it('refuses auth.token beside an Authorization header as ambiguous, and a token that is no string', async () => {
      const both = connect({ auth: { token: kit.token() }, headers: { authorization: kit.authorization() } });
      expect(await both.opened).toMatchObject({ open: false, code: 401, message: 'ambiguous credentials: both auth.token and a token header' });
      const notAString = connect({ auth: { token: { $ne: null } } });
      expect(await notAString.opened).toMatchObject({ open: false, code: 401, message: 'malformed token: not a string' });
      const huge = connect({ auth: { token: 'a'.repeat(100_000) } });
      expect(await huge.opened).toMatchObject({ open: false, code: 401, message: 'malformed token: too long' });
      const bare = connect({ auth: { token: `Bearer ${kit.token({ userId: 'carol' })}` } });
      expect(await bare.opened).toEqual({ open: true });
    });
  }

  if (kind === 'ws') {
    it('refuses an upgrade request built on a raw socket with two Authorization headers, or with absolute and dot-segment targets without a token', async () => {
      const upgrade = (target: string, headerLines: string[]) =>
        new Promise<string>((resolve, reject) => {
          const { hostname, port } = new URL(running.url);
          const socket = netConnect(Number(port), hostname, () =>
            socket.write(
              [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}`, ...headerLines, '', ''].join('\r\n'),
            ),
          );
          let response = '';
          socket.on('data', (chunk) => {
            response += chunk.toString();
            if (response.includes('\r\n\r\n')) socket.destroy();
          });
          socket.on('close', () => resolve(response));
          socket.on('error', reject);
        });
      const good = kit.authorization({ userId: 'good' });
      const evil = kit.authorization({ userId: 'evil', roles: ['admin'] });
      const twice = await upgrade('/', [`Authorization: ${good}`, `Authorization: ${evil}`]);
      expect(twice).toMatch(/^HTTP\/1\.1 401 /);
      expect(twice).toContain('ambiguous credentials: 2 authorization headers');
      const opened = await upgrade('/', [`Authorization: ${good}`]);
      expect(opened).toMatch(/^HTTP\/1\.1 101 /);
      for (const target of [`http://${new URL(running.url).host}/`, '/./', '/x/../']) {
        expect(await upgrade(target, []), target).not.toMatch(/^HTTP\/1\.1 101 /);
      }
    });
  }

  it('checks roles, grants and policies per message: the refused message gets the error event, the connection stays', async () => {
    const socket = connect(withToken(kit.token()));
    expect(await socket.opened).toEqual({ open: true });
    socket.send('admin');
    expect(await socket.next('exception')).toEqual({ status: 'error', code: 403, message: 'access denied: requires the role admin' });
    socket.send('report');
    expect(await socket.next('exception')).toMatchObject({ status: 'error', code: 403 });
    socket.send('post', 'hello');
    expect(await socket.next('exception')).toMatchObject({ status: 'error', code: 403 });
    socket.send('whoami');
    expect(await socket.next('whoami')).toMatchObject({ userId: 'user-1' });

    const editor = connect(withToken(kit.token({ roles: ['editor', 'auditor', 'admin'] })));
    expect(await editor.opened).toEqual({ open: true });
    editor.send('admin');
    expect(await editor.next('admin')).toBe('secret');
    editor.send('report');
    expect(await editor.next('report')).toBe('granted');
    editor.send('post', 'hello');
    expect(await editor.next('post')).toBe('user@example.com: hello');
  });

  it('disconnects a socket when its token expires', async () => {
    const socket = connect(withToken(kit.expiringToken(2)));
    expect(await socket.opened).toEqual({ open: true });
    socket.send('whoami');
    await socket.next('whoami');
    const started = Date.now();
    const ended = await Promise.race([socket.ended, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open 5 s later')), 5_000))]);
    expect(Date.now() - started).toBeLessThan(3_500);
    if (kind === 'socket.io') {
      expect(ended.reason).toBe('io server disconnect');
      expect(socket.received.at(-1)).toEqual({ event: 'exception', data: { status: 'error', code: 401, message: 'token expired' } });
    } else {
      expect(ended).toEqual({ code: 4401, reason: 'token expired' });
    }
  });
});

describe.each(['socket.io', 'ws'] as const)('1,000 %s sockets of 50 users at once', (kind) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp('express', { imports: [kit.module()], providers: [ChatGateway] }, 0, { setup: adapters[kind] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('each sees only its own Auth, at connection and in every message', async () => {
    connectionsSeen.length = 0;
    const tokens = Array.from({ length: 50 }, (_, i) => kit.token({ userId: `user-${i}`, roles: [`role-${i}`] }));
    const sockets = Array.from({ length: 1_000 }, (_, i) => ({
      userId: `user-${i % 50}`,
      socket: connectSocket(kind, running.url, kind === 'socket.io' ? { auth: { token: tokens[i % 50] } } : { headers: { authorization: `Bearer ${tokens[i % 50]}` } }),
    }));
    try {
      const opened = await Promise.all(sockets.map(({ socket }) => socket.opened));
      expect(opened.filter((result) => !result.open)).toEqual([]);
      const answers = await Promise.all(
        sockets.map(async ({ socket }, i) => {
          const replies = [];
          for (let round = 0; round < 3; round++) {
            const reply = socket.next('whoami', 20_000);
            socket.send('whoami', i);
            replies.push(await reply);
          }
          return replies;
        }),
      );
      const mismatches = answers.flatMap((replies, i) =>
        replies.filter((reply) => reply.userId !== sockets[i]!.userId || reply.roles[0] !== `role-${i % 50}` || reply.tag !== i),
      );
      expect(mismatches).toEqual([]);
      expect(connectionsSeen).toHaveLength(1_000);
      expect(new Set(connectionsSeen).size).toBe(50);
    } finally {
      for (const { socket } of sockets) socket.close();
    }
  }, 60_000);
});

describe('socket.io gateways without MicrokubesIoAdapter', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp('express', { imports: [kit.module()], providers: [ChatGateway] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('authenticate each socket at its first guarded message, refuse one without a token, and say to use the adapter', async () => {
    connectionsSeen.length = 0;
    const signedIn = connectSocket('socket.io', running.url, { auth: kit.socketAuth({ userId: 'late' }) });
    const anonymous = connectSocket('socket.io', running.url);
    try {
      expect(await signedIn.opened).toEqual({ open: true });
      expect(await anonymous.opened).toEqual({ open: true });
      signedIn.send('whoami');
      expect(await signedIn.next('whoami')).toMatchObject({ userId: 'late' });
      anonymous.send('whoami');
      expect(await anonymous.next('exception')).toEqual({ status: 'error', code: 401, message: 'missing bearer token' });
      expect(connectionsSeen).toEqual(['nobody', 'nobody']);
      expect(running.logger.lines.filter((line) => line.includes('use MicrokubesIoAdapter'))).toHaveLength(1);
    } finally {
      signedIn.close();
      anonymous.close();
    }
  });
});

describe('MicrokubesWsAdapter beside a verifyClient of the app', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp('express', { imports: [kit.module()], providers: [CheckedGateway] }, 0, { setup: adapters.ws });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  const open = (headers: Record<string, string>) => {
    const socket = new WebSocket(`${running.url.replace(/^http/, 'ws')}/checked`, { headers });
    return new Promise<number | 'open'>((resolve) => {
      socket.once('open', () => {
        socket.close();
        resolve('open');
      });
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => {});
    });
  };

  it('runs the module check first, then the app’s', async () => {
    expect(await open({ 'x-tenant': 'acme' })).toBe(401);
    expect(await open({ authorization: kit.authorization() })).toBe(401);
    expect(await open({ authorization: kit.authorization(), 'x-tenant': 'acme' })).toBe('open');
  });
});
