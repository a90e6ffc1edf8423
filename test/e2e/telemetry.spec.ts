import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth, CurrentAuth, KeyStore, MicrokubesAuthenticator, MicrokubesAuthGuard, MicrokubesModule, Roles, RolesGuard, TokenRevocations,
  type MicrokubesModuleOptions,
} from '../../lib/index.js';
import { REFUSAL_REASONS } from '../../lib/security/token-refusal.js';
import { ATTRIBUTE, METRIC, STRATEGIES, TRANSPORTS } from '../../lib/telemetry/telemetry-names.js';
import {
  authServerToken, badTokens, jwtIssuerToken, KongAdminEmulator, LoginBrowsers, platformKeysDir, rawToken, rsaKeyPair, signClaims, TestIdentityProvider,
  type PlatformKeysDir,
} from '../../lib/testing/index.js';
import { startSamlApp, type SamlApp } from '../support/saml-app.js';
import { MicrokubesWsAdapter } from '../../lib/ws/index.js';
import { ChatGateway } from '../support/gateways.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { connectSocket, type TestSocket } from '../support/socket-clients.js';
import { REDIS_CLIENTS, type TestRedisClient } from '../support/revocation-replicas.js';
import { grown, installSdk, named, type InstalledSdk, type Series } from '../support/telemetry-sdk.js';
import { bearer, freePort, getJson, rawRequest, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const user = { userId: 'u1', username: 'ann@example.com', roles: ['user'] };
const admin = { userId: 'u9', username: 'root@example.com', roles: ['admin'] };
const now = () => Math.floor(Date.now() / 1000);
const decodePayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

@Controller()
@UseGuards(MicrokubesAuthGuard, RolesGuard)
class TelemetryController {
  @Get('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { userId: auth.userId };
  }

  @Get('items/:id')
  item(@CurrentAuth() auth: Auth) {
    return { userId: auth.userId };
  }

  @Get('admin')
  @Roles('admin')
  admin() {
    return { admin: true };
  }
}

/** What the HTTP instrumentation of an app does, by hand: an active span around each request. */
function activeSpanPerRequest(app: INestApplication): void {
  const tracer = trace.getTracer('test-http');
  app.use((request: Request, response: Response, next: NextFunction) =>
    tracer.startActiveSpan(`${request.method} ${request.path}`, (span) => {
      response.on('finish', () => span.end());
      next();
    }),
  );
}

/** Every value each attribute may hold: nothing from a request can be among them. */
const ALLOWED: Record<string, readonly string[]> = {
  [ATTRIBUTE.transport]: TRANSPORTS,
  [ATTRIBUTE.strategy]: STRATEGIES,
  [ATTRIBUTE.result]: ['success', 'failure'],
  [ATTRIBUTE.reason]: REFUSAL_REASONS,
  [ATTRIBUTE.layer]: ['roles', 'grants', 'policies'],
  [ATTRIBUTE.decision]: ['allow', 'deny'],
  [ATTRIBUTE.cacheResult]: ['hit', 'miss'],
  [ATTRIBUTE.evictionReason]: ['capacity', 'expired', 'revoked', 'keys_changed'],
  [ATTRIBUTE.keyKind]: ['public', 'private', 'certificate'],
  [ATTRIBUTE.outcome]: ['ok', 'failed'],
  [ATTRIBUTE.target]: ['kong', 'saml_idp'],
};

function expectFixedLabels(series: Series[]): void {
  for (const { name, attributes } of series) {
    for (const [key, value] of Object.entries(attributes)) {
      expect(ALLOWED[key], `${name}: attribute ${key}`).toBeDefined();
      expect(ALLOWED[key], `${name}: ${key}=${String(value)}`).toContain(value);
    }
  }
}

/** The metric names of the README's table, as the Prometheus exporter writes them. */
function documentedPrometheusNames(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `(microkubes\.[a-z_.]+)` \| (counter|histogram|gauge) \| `([^`]+)` \|/gm)];
  expect(rows.length).toBe(Object.keys(METRIC).length);
  return rows.map(([, name, type]) => {
    // The JS exporter appends no unit (the Collector's would make it `_seconds`).
    const base = name!.replaceAll('.', '_');
    return type === 'counter' ? `${base}_total` : type === 'histogram' ? `${base}_bucket` : base;
  });
}

describe('telemetry with the OpenTelemetry SDK', () => {
  let sdk: InstalledSdk;
  let prometheus: PrometheusExporter;
  let prometheusUrl: string;
  let keys: PlatformKeysDir;
  let redis: RedisServer;
  let client: TestRedisClient;

  beforeAll(async () => {
    const port = await freePort();
    prometheus = new PrometheusExporter({ host: '127.0.0.1', port });
    prometheusUrl = `http://127.0.0.1:${port}/metrics`;
    sdk = installSdk([prometheus]);
    keys = platformKeysDir();
    redis = await startRedis();
    client = await REDIS_CLIENTS.redis(redis.url);
  });
  afterAll(async () => {
    await client?.close();
    await redis?.stop();
    keys?.remove();
    await sdk?.uninstall();
  });

  const revocation = () => ({ redis: client.client, prefix: `test:telemetry:${Date.now()}:${Math.random()}:` });

  async function start(options: MicrokubesModuleOptions, platform: HttpPlatform = 'express'): Promise<RunningApp> {
    return startApp(platform, { imports: [MicrokubesModule.forRoot(options)], controllers: [TelemetryController] }, 0, {
      setup: platform === 'express' ? activeSpanPerRequest : undefined,
    });
  }

  /** The series that one step grew, read before and after it. */
  async function growth(step: () => Promise<unknown>): Promise<Series[]> {
    const before = await sdk.series();
    await step();
    return grown(before, await sdk.series());
  }

  describe.each<HttpPlatform>(['express', 'fastify'])('each refusal, once (%s)', (platform) => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await start({
        keysDir: keys.dir,
        watchKeys: false,
        security: { jwt: { issuer: 'Microkubes JWT Authority', audience: 'hello' }, oauth2: { requiredScopes: ['api:write'] }, revocation: revocation() },
      }, platform);
    });
    afterAll(() => running?.close());

    const valid = (extra: Record<string, unknown> = {}) => jwtIssuerToken(keys.default.privateKey, user, 'api:read', { aud: 'hello', ...extra });
    const cases: Array<[string, string, string, () => Promise<Record<string, string>>, number]> = [
      ['missing', 'none', 'no credentials', async () => ({}), 401],
      ['malformed', 'jwt', 'two segments', async () => ({ authorization: 'Bearer abc.def' }), 401],
      ['algorithm', 'jwt', 'alg none', async () => ({ authorization: `Bearer ${badTokens.unsigned(user)}` }), 401],
      ['expired', 'jwt', 'an hour ago', async () => ({ authorization: `Bearer ${valid({ iat: now() - 7200, exp: now() - 3600 })}` }), 401],
      ['not_yet_valid', 'jwt', 'nbf in an hour', async () => ({ authorization: `Bearer ${valid({ nbf: now() + 3600 })}` }), 401],
      ['bad_signature', 'jwt', 'tampered payload', async () => ({ authorization: `Bearer ${badTokens.tampered(keys.default.privateKey, user)}` }), 401],
      ['unknown_key', 'jwt', 'a kid no one has', async () => ({ authorization: `Bearer ${signClaims(rsaKeyPair().privateKey, { sub: 'u1' }, { algorithm: 'RS512', keyid: 'made-up-kid' })}` }), 401],
      ['issuer', 'jwt', 'another issuer', async () => ({ authorization: `Bearer ${valid({ iss: 'Someone Else' })}` }), 401],
      ['audience', 'jwt', 'another audience', async () => ({ authorization: `Bearer ${valid({ aud: 'other-service' })}` }), 401],
      ['claims', 'jwt', 'no userId', async () => ({ authorization: `Bearer ${valid({ userId: undefined, sub: undefined })}` }), 401],
      ['scope', 'oauth2', 'no api:write', async () => ({
        authorization: `Bearer ${authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u2', username: 'bob@example.com', scope: 'api:read' })}`,
      }), 403],
      ['revoked', 'jwt', 'revoked', async () => {
        const token = valid();
        await running.app.get(TokenRevocations).revokeToken(token);
        return { authorization: `Bearer ${token}` };
      }, 401],
    ];

    it.each(cases)('%s (%s: %s) increments exactly one series', async (reason, strategy, _what, headers, status) => {
      const presented = await headers();
      const series = await growth(async () => expect((await getJson(`${running.url}/hello`, { headers: presented })).status).toBe(status));
      const attempts = named(series, METRIC.authenticationAttempts);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        value: 1,
        unit: '{attempt}',
        attributes: { [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: strategy, [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: reason },
      });
      expect(Object.keys(attempts[0]!.attributes).sort()).toEqual([ATTRIBUTE.reason, ATTRIBUTE.result, ATTRIBUTE.strategy, ATTRIBUTE.transport].sort());
      const durations = named(series, METRIC.authenticationDuration);
      expect(durations).toEqual([expect.objectContaining({ value: 1, unit: 's', attributes: attempts[0]!.attributes })]);
      expect(durations[0]!.sum).toBeGreaterThan(0);
      expect(durations[0]!.sum).toBeLessThan(1);
    });

    it('ambiguous: two Authorization headers, on a raw socket', async () => {
      const token = valid();
      const series = await growth(async () =>
        expect((await rawRequest(running.url, 'GET', '/hello', { Authorization: `Bearer ${token}`, authorization: `Bearer ${token}` })).status).toBe(401),
      );
      expect(named(series, METRIC.authenticationAttempts)).toEqual([
        expect.objectContaining({ value: 1, attributes: { [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: 'none', [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: 'ambiguous' } }),
      ]);
    });

    it('success by strategy; the roles decision, allowed and denied', async () => {
      const signIn = valid();
      const access = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u2', username: 'bob@example.com' });
      const adminToken = jwtIssuerToken(keys.default.privateKey, admin, 'api:read', { aud: 'hello' });
      const series = await growth(async () => {
        expect((await getJson(`${running.url}/hello`, bearer(signIn))).status).toBe(200);
        expect((await getJson(`${running.url}/hello`, bearer(access))).status).toBe(200);
        expect((await getJson(`${running.url}/admin`, bearer(signIn))).status).toBe(403);
        expect((await getJson(`${running.url}/admin`, bearer(adminToken))).status).toBe(200);
      });
      const success = (strategy: string) => ({ [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: strategy, [ATTRIBUTE.result]: 'success' });
      expect(named(series, METRIC.authenticationAttempts).map(({ attributes, value }) => ({ attributes, value }))).toEqual(
        expect.arrayContaining([{ attributes: success('jwt'), value: 3 }, { attributes: success('oauth2'), value: 1 }]),
      );
      expect(named(series, METRIC.authenticationAttempts)).toHaveLength(2);
      const decision = (result: string) => ({ [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.layer]: 'roles', [ATTRIBUTE.decision]: result });
      expect(named(series, METRIC.authorizationDecisions).map(({ attributes, value }) => ({ attributes, value }))).toEqual(
        expect.arrayContaining([{ attributes: decision('deny'), value: 1 }, { attributes: decision('allow'), value: 1 }]),
      );
    });

    it('labels hold only fixed values, whatever the request carried', async () => {
      const hostile = [
        rawToken({ alg: 'RS512', kid: 'kid-<script>' }, { sub: 'x'.repeat(100) }, 'sig'),
        rawToken({ alg: 'XX999', typ: 'evil' }, { sub: 'u1' }, 'sig'),
        signClaims(keys.default.privateKey, { sub: 'u1', userId: 'u1', username: 'ann', jti: 'jti-12345', exp: now() + 60, iss: 'Microkubes JWT Authority', aud: 'hello' }),
      ];
      for (const token of hostile) await getJson(`${running.url}/items/4711?user=u1`, bearer(token));
      await getJson(`${running.url}/items/4711`, bearer(valid({ jti: 'jti-67890' })));
      const all = await sdk.series();
      expectFixedLabels(all);
      const text = JSON.stringify(all);
      for (const leaked of ['4711', 'jti-', 'u1', 'ann', 'kid-', 'XX999', 'Bearer']) expect(text).not.toContain(leaked);
    });
  });

  it('sets outcome, strategy and reason on the active span; the user id only when asked', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, user);
    const spanOf = async (url: string, init: RequestInit) => {
      sdk.spans.reset();
      await getJson(url, init);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [span] = sdk.spans.getFinishedSpans();
      expect(span).toBeDefined();
      return span!.attributes;
    };
    for (const userIdOnSpans of [false, true]) {
      const running = await start({ keysDir: keys.dir, watchKeys: false, telemetry: { userIdOnSpans } });
      try {
        // /hello has no @Roles: no access decision on its span.
        expect(await spanOf(`${running.url}/hello`, bearer(token))).toEqual({
          [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: 'jwt', [ATTRIBUTE.result]: 'success',
          ...(userIdOnSpans && { [ATTRIBUTE.userId]: 'u1' }),
        });
        expect(await spanOf(`${running.url}/admin`, bearer(token))).toEqual({
          [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: 'jwt', [ATTRIBUTE.result]: 'success',
          [ATTRIBUTE.layer]: 'roles', [ATTRIBUTE.decision]: 'deny',
          ...(userIdOnSpans && { [ATTRIBUTE.userId]: 'u1' }),
        });
        expect(await spanOf(`${running.url}/hello`, bearer(badTokens.expired(keys.default.privateKey, user)))).toEqual({
          [ATTRIBUTE.transport]: 'http', [ATTRIBUTE.strategy]: 'jwt', [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: 'expired',
        });
      } finally {
        await running.close();
      }
    }
  });
  it('counts each layer once per call, when global and controller guards both decide it', async () => {
    const policies = [{ id: 'hello-and-admin', effect: 'allow' as const, subjects: ['<.+>'], resources: ['/hello', '/admin'], actions: ['api:read'] }];
    const running = await start({ keysDir: keys.dir, watchKeys: false, security: { globalGuard: true }, acl: { policies, globalGuards: true } });
    try {
      const token = jwtIssuerToken(keys.default.privateKey, user);
      const series = await growth(async () => {
        expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(200);
        expect((await getJson(`${running.url}/admin`, bearer(token))).status).toBe(403);
        expect((await getJson(`${running.url}/items/4711`, bearer(token))).status).toBe(403);
      });
      const decisions = named(series, METRIC.authorizationDecisions).map((s) => [s.attributes[ATTRIBUTE.layer], s.attributes[ATTRIBUTE.decision], s.value]);
      expect(decisions.sort()).toEqual([['policies', 'allow', 2], ['policies', 'deny', 1], ['roles', 'deny', 1]]);
      expect(named(series, METRIC.authenticationAttempts).map((s) => s.value)).toEqual([3]);
    } finally {
      await running.close();
    }
  });

  it('changes no decision when recording fails (a span that throws)', async () => {
    const running = await startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })], controllers: [TelemetryController] }, 0, {
      setup: (app) => {
        const tracer = trace.getTracer('test-http');
        app.use((_request: Request, response: Response, next: NextFunction) =>
          tracer.startActiveSpan('broken', (span) => {
            span.setAttributes = () => {
              throw new Error('exporter bug');
            };
            response.on('finish', () => span.end());
            next();
          }),
        );
      },
    });
    try {
      const token = jwtIssuerToken(keys.default.privateKey, user);
      expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(200);
      expect(await getJson(`${running.url}/hello`, bearer(badTokens.expired(keys.default.privateKey, user)))).toMatchObject({ status: 401, body: { message: 'token expired' } });
      expect(await getJson(`${running.url}/admin`, bearer(token))).toMatchObject({ status: 403 });
      expect(running.logger.lines.filter((line) => line.includes('Recording failed'))).toHaveLength(1);
    } finally {
      await running.close();
    }
  });

  it('counts the token cache through a scripted sequence: hits, misses, evictions by reason, size', async () => {
    const running = await start({ keysDir: keys.dir, watchKeys: false, security: { revocation: revocation() } });
    const cacheSize = () => running.app.get(MicrokubesAuthenticator).tokenCache!.size;
    const sizeSeries = async () => named(await sdk.series(), METRIC.tokenCacheSize).map((series) => series.value);
    try {
      const [a, b, c] = [1, 2, 3].map(() => jwtIssuerToken(keys.default.privateKey, user));
      const call = async (token: string, status = 200) => expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(status);
      const counts = (series: Series[]) => ({
        hit: named(series, METRIC.tokenCacheLookups).find((s) => s.attributes[ATTRIBUTE.cacheResult] === 'hit')?.value ?? 0,
        miss: named(series, METRIC.tokenCacheLookups).find((s) => s.attributes[ATTRIBUTE.cacheResult] === 'miss')?.value ?? 0,
        evicted: Object.fromEntries(named(series, METRIC.tokenCacheEvictions).map((s) => [s.attributes[ATTRIBUTE.evictionReason], s.value])),
        reloads: Object.fromEntries(named(series, METRIC.keyStoreReloads).map((s) => [s.attributes[ATTRIBUTE.outcome], s.value])),
      });

      // a: first sighting (miss, not kept), second (miss, kept), third (hit); b once (miss); a again (hit).
      let series = await growth(async () => {
        for (const token of [a, a, a, b, a]) await call(token!);
      });
      expect(counts(series)).toEqual({ hit: 2, miss: 3, evicted: {}, reloads: {} });
      expect(await sizeSeries()).toEqual([1]);

      // a revoked: out of the cache on the revocation's arrival, then refused (a miss, verified, refused).
      series = await growth(async () => {
        await running.app.get(TokenRevocations).revokeToken(a!);
        await expect.poll(cacheSize).toBe(0);
        await call(a!, 401);
      });
      expect(counts(series)).toEqual({ hit: 0, miss: 1, evicted: { revoked: 1 }, reloads: {} });

      // c kept; a key added and reloaded: the cache is flushed, the reload counted, the new key seen.
      const keysBefore = named(await sdk.series(), METRIC.keyStoreKeys).find((s) => s.attributes[ATTRIBUTE.keyKind] === 'public')!.value;
      const added = join(keys.dir, 'telemetry-extra.pub');
      series = await growth(async () => {
        await call(c!);
        await call(c!);
        await call(c!);
        writeFileSync(added, rsaKeyPair().publicPem);
        expect(await running.app.get(KeyStore).reload()).toBe(true);
      });
      expect(counts(series)).toEqual({ hit: 1, miss: 2, evicted: { keys_changed: 1 }, reloads: { ok: 1 } });
      expect(named(await sdk.series(), METRIC.keyStoreKeys).find((s) => s.attributes[ATTRIBUTE.keyKind] === 'public')!.value).toBe(keysBefore + 1);
      expect(await sizeSeries()).toEqual([0]);

      // A key file that does not parse: the reload fails, and is counted so.
      writeFileSync(added, '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n');
      series = await growth(async () => expect(await running.app.get(KeyStore).reload()).toBe(false));
      expect(counts(series).reloads).toEqual({ failed: 1 });
      rmSync(added);
    } finally {
      rmSync(join(keys.dir, 'telemetry-extra.pub'), { force: true });
      await running.close();
    }
  });

  it('counts capacity and expiry evictions', async () => {
    const running = await start({ keysDir: keys.dir, watchKeys: false, security: { tokenCache: { size: 1 } } });
    try {
      const call = async (token: string, status = 200) => expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(status);
      const evictions = (series: Series[]) => Object.fromEntries(named(series, METRIC.tokenCacheEvictions).map((s) => [s.attributes[ATTRIBUTE.evictionReason], s.value]));
      const [d, e] = [1, 2].map(() => jwtIssuerToken(keys.default.privateKey, user));
      let series = await growth(async () => {
        for (const token of [d, d, e, e]) await call(token!);
      });
      expect(evictions(series)).toEqual({ capacity: 1 });
      const shortLived = jwtIssuerToken(keys.default.privateKey, user, 'api:read', { exp: now() + 2 });
      series = await growth(async () => {
        await call(shortLived);
        await call(shortLived);
        await new Promise((resolve) => setTimeout(resolve, (now() + 2 - Date.now() / 1000) * 1000 + 1_100));
        await call(shortLived, 401);
      });
      expect(evictions(series)).toEqual({ capacity: 1, expired: 1 });
    } finally {
      await running.close();
    }
  });

  it('records Kong registrations: retries, outcome, duration', async () => {
    const kong = await KongAdminEmulator.start();
    const gateway = (retry = {}) => ({
      adminUrl: kong.url, name: 'hello-service', paths: ['/hello'], host: 'hello-service.service.consul', port: 3000,
      retry: { initialDelay: 20, maxDelay: 50, deadline: 10_000, ...retry },
    });
    const registration = (series: Series[]) => ({
      attempts: named(series, METRIC.registrationAttempts).map((s) => ({ ...s.attributes, count: s.value })),
      retries: named(series, METRIC.registrationRetries).map((s) => ({ ...s.attributes, count: s.value })),
      durations: named(series, METRIC.registrationDuration).map((s) => ({ ...s.attributes, count: s.value, sum: s.sum })),
    });
    try {
      let series = await growth(async () => {
        kong.failNext(2);
        const running = await start({ security: { jwt: false, oauth2: false }, gateway: gateway() });
        await running.close();
      });
      expect(registration(series)).toEqual({
        attempts: [{ [ATTRIBUTE.target]: 'kong', [ATTRIBUTE.outcome]: 'ok', count: 1 }],
        retries: [{ [ATTRIBUTE.target]: 'kong', count: 2 }],
        durations: [{ [ATTRIBUTE.target]: 'kong', [ATTRIBUTE.outcome]: 'ok', count: 1, sum: expect.any(Number) }],
      });
      series = await growth(async () => {
        kong.failNext(1, 400);
        await expect(start({ security: { jwt: false, oauth2: false }, gateway: gateway() })).rejects.toThrow(/Kong/);
      });
      expect(registration(series).attempts).toEqual([{ [ATTRIBUTE.target]: 'kong', [ATTRIBUTE.outcome]: 'failed', count: 1 }]);
    } finally {
      await kong.stop();
    }
  });

  it('labels WebSocket handshakes and messages websocket, and counts a connection once', async () => {
    const running = await startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false })], providers: [ChatGateway] }, 0, {
      setup: (app) => app.useWebSocketAdapter(new MicrokubesWsAdapter(app)),
    });
    const sockets: TestSocket[] = [];
    try {
      const series = await growth(async () => {
        const good = connectSocket('ws', running.url, { headers: { authorization: `Bearer ${jwtIssuerToken(keys.default.privateKey, user)}` } });
        sockets.push(good);
        expect(await good.opened).toEqual({ open: true });
        for (let i = 0; i < 3; i++) {
          good.send('whoami', i);
          await good.next('whoami');
        }
        good.send('admin');
        await good.next('exception');
        const expired = connectSocket('ws', running.url, { headers: { authorization: `Bearer ${badTokens.expired(keys.default.privateKey, user)}` } });
        sockets.push(expired);
        expect(await expired.opened).toMatchObject({ open: false, status: 401 });
      });
      const websocket = (attributes: Record<string, string>) => ({ [ATTRIBUTE.transport]: 'websocket', ...attributes });
      expect(named(series, METRIC.authenticationAttempts).map(({ attributes, value }) => ({ attributes, value }))).toEqual(expect.arrayContaining([
        { attributes: websocket({ [ATTRIBUTE.strategy]: 'jwt', [ATTRIBUTE.result]: 'success' }), value: 1 },
        { attributes: websocket({ [ATTRIBUTE.strategy]: 'jwt', [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: 'expired' }), value: 1 },
      ]));
      expect(named(series, METRIC.authenticationAttempts)).toHaveLength(2);
      expect(named(series, METRIC.authorizationDecisions).map(({ attributes, value }) => ({ attributes, value }))).toEqual([
        { attributes: websocket({ [ATTRIBUTE.layer]: 'roles', [ATTRIBUTE.decision]: 'deny' }), value: 1 },
      ]);
    } finally {
      for (const socket of sockets) socket.close();
      await running.close();
    }
  });

  it('counts SAML logins by result and reason, and the SP registration with its IdP', async () => {
    let posts = 0;
    const registrations = createServer((request, response) => {
      request.resume();
      request.on('end', () => (++posts <= 2 ? response.writeHead(503).end('starting') : response.writeHead(201).end()));
    });
    await new Promise<void>((resolve) => registrations.listen(0, '127.0.0.1', resolve));
    const registrationUrl = `http://127.0.0.1:${(registrations.address() as AddressInfo).port}/saml/idp/services`;
    const idpSettings = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
    const idp = new TestIdentityProvider({ entityId: idpSettings.entityId, keys: keys.saml });
    const browsers = new LoginBrowsers();
    let app: SamlApp | undefined;
    try {
      let series = await growth(async () => {
        app = await startSamlApp(keys.dir, idpSettings, {
          registrationUrl,
          registration: { required: true, retry: { attempts: 5, deadline: 5_000, initialDelay: 10, maxDelay: 20, requestTimeout: 1_000 } },
        });
      });
      expect(named(series, METRIC.registrationAttempts).map((s) => ({ ...s.attributes, count: s.value }))).toEqual([
        { [ATTRIBUTE.target]: 'saml_idp', [ATTRIBUTE.outcome]: 'ok', count: 1 },
      ]);
      expect(named(series, METRIC.registrationRetries).map((s) => ({ ...s.attributes, count: s.value }))).toEqual([{ [ATTRIBUTE.target]: 'saml_idp', count: 2 }]);

      const { request } = await browsers.start(`${app!.url}/page`, { headers: { accept: 'text/html' } });
      const xml = idp.signedResponse({
        inResponseTo: request.id, destination: app!.acsUrl, recipient: app!.acsUrl, audience: app!.entityId, uid: 'user-7', username: 'jane@example.com', roles: ['user'],
      });
      series = await growth(async () => {
        expect((await browsers.post(app!.acsUrl, xml, request.relayState ?? undefined)).status).toBe(302);
        // The same Response again: this browser's login is used up.
        expect((await browsers.post(app!.acsUrl, xml, request.relayState ?? undefined)).status).toBe(401);
      });
      expect(named(series, METRIC.samlLogins).map((s) => ({ ...s.attributes, count: s.value }))).toEqual(expect.arrayContaining([
        { [ATTRIBUTE.result]: 'success', count: 1 },
        { [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: 'replay', count: 1 },
      ]));
      expect(named(series, METRIC.samlLogins)).toHaveLength(2);
    } finally {
      await app?.close();
      registrations.close();
    }
  });

  it('counts JWKS fetches, ok and failed, and refuses with unavailable while there is no key', async () => {
    const jwk = { ...keys.authServer.publicKey.export({ format: 'jwk' }), kid: 'as-1', alg: 'RS256', use: 'sig' };
    let up = false;
    const jwks = createServer((_request, response) => {
      if (!up) return void response.writeHead(500).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const fetches = (series: Series[]) => Object.fromEntries(named(series, METRIC.jwksFetches).map((s) => [s.attributes[ATTRIBUTE.outcome], s.value]));
    const access = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u2', username: 'bob@example.com' });
    const signed = signClaims(keys.authServer.privateKey, decodePayload(access), { algorithm: 'RS256', keyid: 'as-1' });
    let running: RunningApp | undefined;
    try {
      let series = await growth(async () => {
        running = await start({ security: { jwt: false, oauth2: { jwksUri } } });
        expect((await getJson(`${running.url}/hello`, bearer(signed))).body).toEqual({ code: 401, message: 'signing keys are unavailable' });
      });
      expect(fetches(series)).toEqual({ failed: 1 });
      expect(named(series, METRIC.authenticationAttempts).map((s) => s.attributes[ATTRIBUTE.reason])).toEqual(['unavailable']);
      await running!.close();
      up = true;
      series = await growth(async () => {
        running = await start({ security: { jwt: false, oauth2: { jwksUri } } });
        expect((await getJson(`${running.url}/hello`, bearer(signed))).status).toBe(200);
      });
      expect(fetches(series)).toEqual({ ok: 1 });
    } finally {
      await running?.close();
      jwks.close();
    }
  });

  it("the Prometheus exporter's endpoint shows the documented names", async () => {
    const running = await start({ keysDir: keys.dir, watchKeys: false });
    try {
      const token = jwtIssuerToken(keys.default.privateKey, user);
      await getJson(`${running.url}/hello`, bearer(token));
      await getJson(`${running.url}/hello`, bearer(token));
      await getJson(`${running.url}/admin`, bearer(token));
      const response = await fetch(prometheusUrl);
      expect(response.status).toBe(200);
      const text = await response.text();
      // Recorded by this test or the ones before in this process (Kong, reloads), or observed now.
      for (const name of documentedPrometheusNames()) {
        if (/jwks|saml|grants/.test(name)) continue;
        expect(text, name).toMatch(new RegExp(`^${name}\\{`, 'm'));
      }
      expect(text).toMatch(/^microkubes_authentication_attempts_total\{microkubes_transport="http",microkubes_authentication_strategy="jwt",microkubes_authentication_result="success"/m);
      expect(text).toMatch(/^# TYPE microkubes_authentication_duration histogram$/m);
    } finally {
      await running.close();
    }
  });
});
