import type { INestApplication } from '@nestjs/common';
import { Transport, type ClientOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyStore, MicrokubesModule, MicrokubesOptionsError, ServiceCallError, ServiceCalls } from '../../lib/index.js';
import { MicrokubesTestingKit, rsaKeyPair } from '../../lib/testing/index.js';
import { startNats, startRabbitMq, type Broker } from '../support/brokers.js';
import {
  CLIENTS,
  closeClients,
  HELLO_PROTO,
  SeenController,
  SeenHandlers,
  SERVICE_A_OPTIONS,
  serviceAModule,
  VIAS,
  type Clients,
  type Seen,
  type ServiceB,
} from '../support/service-calls-app.js';
import { inFlight } from '../support/in-flight.js';
import { bearer, rpcEndpoint, TestRpcClient } from '../support/rpc-clients.js';
import { freePort, getJson, RecordingLogger } from '../support/test-app.js';

/** What a Go service's self-signed system token is made of (microservice-registration's selfSignJWT, jwt-go). */
const GO_SYSTEM_TOKEN = {
  // jwt-go's header, marshalled by encoding/json: map keys in byte order.
  header: '{"alg":"RS256","typ":"JWT"}',
  // MapClaims{iss, exp, jti, nbf, sub, scope, userId, username, roles}, marshalled in byte order.
  claimOrder: ['exp', 'iss', 'jti', 'nbf', 'roles', 'scope', 'sub', 'userId', 'username'],
  fixed: { nbf: 0, roles: 'system', scope: 'api:read', userId: 'system', username: 'system' },
  lifetimeSeconds: 30,
};

const decodeSegment = (segment: string) => Buffer.from(segment, 'base64url').toString('utf8');

describe('service-to-service calls: relay and system tokens over HTTP, TCP, NATS, RabbitMQ and gRPC', () => {
  const kit = MicrokubesTestingKit.create();
  let nats: Broker;
  let rabbit: Broker;
  let serviceB: INestApplication;
  let serviceA: INestApplication;
  let a: string;
  let aTcp: { transport: Transport.TCP; options: { host: string; port: number } };
  let toA: TestRpcClient;

  beforeAll(async () => {
    [nats, rabbit] = await Promise.all([startNats(), startRabbitMq()]);
    const tcpPort = await freePort();
    aTcp = { transport: Transport.TCP, options: { host: '127.0.0.1', port: await freePort() } };
    const grpcUrl = `127.0.0.1:${await freePort()}`;
    const queue = `mk-calls-${randomUUID()}`;
    const b: Omit<ServiceB, 'http'> = {
      tcp: { transport: Transport.TCP, options: { host: '127.0.0.1', port: tcpPort } },
      nats: { transport: Transport.NATS, options: { servers: [nats.url] } },
      rmq: { transport: Transport.RMQ, options: { urls: [rabbit.url], queue, queueOptions: { durable: false } } },
      grpc: grpcUrl,
    };

    // B relays nothing, but keeps its calls (their request ids) as every service with serviceCalls does.
    const bRef = await Test.createTestingModule({ imports: [kit.module({ acl: { enforcePolicies: false }, serviceCalls: { systemKey: false } })], controllers: [SeenController, SeenHandlers] })
      .setLogger(new RecordingLogger())
      .compile();
    serviceB = bRef.createNestApplication({ logger: false });
    for (const options of [b.tcp, b.nats, b.rmq, { transport: Transport.GRPC, options: { package: 'hello', protoPath: HELLO_PROTO, url: grpcUrl } }]) {
      serviceB.connectMicroservice(options as ClientOptions, { inheritAppConfig: true });
    }
    await serviceB.startAllMicroservices();
    await serviceB.listen(0, '127.0.0.1');
    const bUrl = `http://127.0.0.1:${(serviceB.getHttpServer().address() as { port: number }).port}`;

    const aRef = await Test.createTestingModule({ imports: [serviceAModule(kit.module(SERVICE_A_OPTIONS), { ...b, http: bUrl })] })
      .setLogger(new RecordingLogger())
      .compile();
    serviceA = aRef.createNestApplication({ logger: false });
    // A's own message handlers, over TCP, behind its guards and its call-keeping interceptor.
    serviceA.connectMicroservice(aTcp, { inheritAppConfig: true });
    await serviceA.startAllMicroservices();
    await serviceA.listen(0, '127.0.0.1');
    toA = new TestRpcClient(rpcEndpoint('tcp', { port: aTcp.options.port }));
    a = `http://127.0.0.1:${(serviceA.getHttpServer().address() as { port: number }).port}`;
  }, 90_000);

  afterAll(async () => {
    await toA?.close();
    if (serviceA) await closeClients(serviceA.get<Clients>(CLIENTS));
    await serviceA?.close();
    await serviceB?.close();
    await Promise.all([nats?.stop(), rabbit?.stop()]);
    kit.remove();
  });

  const call = (mode: string, via: string, headers: Record<string, string>) => getJson(`${a}/call/${mode}/${via}`, { headers });

  it.each(VIAS)('relays the caller over %s: service B sees the user, and the request id A was called with', async (via) => {
    const { status, body } = await call('relay', via, { ...kit.bearer({ userId: 'ann', username: 'ann@example.com', roles: ['user', 'ops'] }).headers, 'x-request-id': `trace-${via}` });
    expect(status).toBe(200);
    expect(body).toMatchObject({ userId: 'ann', username: 'ann@example.com', roles: ['user', 'ops'], iss: 'Microkubes JWT Authority', requestId: `trace-${via}` });
  });

  it.each(VIAS)('calls with the service system token over %s: service B sees "system", issued by service-a', async (via) => {
    const { status, body } = await call('system', via, kit.bearer({ userId: 'ann' }).headers);
    expect(status).toBe(200);
    expect(body).toMatchObject({ userId: 'system', username: 'system', roles: ['system'], scopes: ['api:read'], iss: 'service-a' });
  });

  it.each(['http', 'nats', 'grpc'] as const)('relays from a message handler too: a TCP message to A, then A to B over %s, in both modes', async (via) => {
    const caller = bearer(kit.token({ userId: 'msg-user', roles: ['user'] }));
    expect(await toA.send('forward', { mode: 'relay', via }, [...caller, ['x-request-id', `m-${via}`]])).toMatchObject({ userId: 'msg-user', requestId: `m-${via}` });
    expect(await toA.send('forward', { mode: 'system', via }, caller)).toMatchObject({ userId: 'system', iss: 'service-a' });
  });

  it.each(['tcp', 'nats'] as const)('relays each caller in messages sent from an operator on an answer (%s), the connection opened inside the first call', async (via) => {
    const users = ['alice', 'bob', 'carol'];
    for (const user of users) {
      const { body } = await getJson(`${a}/chain/${via}`, kit.bearer({ userId: user }));
      expect((body as Seen[]).map((seen) => seen.userId)).toEqual([user, user]);
    }
    const together = await Promise.all(Array.from({ length: 30 }, (_, i) => getJson(`${a}/chain/${via}`, kit.bearer({ userId: `u${i}` }))));
    expect(together.map(({ body }) => (body as Seen[]).map((seen) => seen.userId).join())).toEqual(Array.from({ length: 30 }, (_, i) => `u${i},u${i}`));
  });

  it('puts credentials on axios requests to the origins named only, never on a request elsewhere', async () => {
    const seenHeaders: Array<string | undefined> = [];
    const elsewhere = createServer((request, response) => {
      seenHeaders.push(request.headers.authorization);
      response.end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const other = `http://127.0.0.1:${(elsewhere.address() as { port: number }).port}`;
    try {
      const calls = serviceA.get(ServiceCalls);
      const http = calls.useWith(axios.create(), 'system', { origins: [other] });
      await http.get(`${other}/hook`);
      const toB = calls.useWith(axios.create({ baseURL: other.replace('127.0.0.1', 'localhost') }), 'system');
      await toB.get(`${other}/not-the-base-url`);
      expect(seenHeaders).toEqual([expect.stringMatching(/^Bearer /), undefined]);
      expect(() => calls.useWith(axios.create(), 'system')).toThrow(ServiceCallError);
    } finally {
      elsewhere.close();
    }
  });

  it('generates a request id when the call came without one, and replaces one that is not a plain id', async () => {
    const generated = (await call('relay', 'tcp', kit.bearer().headers)).body as Seen;
    expect(generated.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const replaced = (await call('relay', 'http', { ...kit.bearer().headers, 'x-request-id': 'a b\tc' })).body as Seen;
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses to relay from a call without a caller, naming why; a system call from there works', async () => {
    expect((await getJson(`${a}/public/relay`)).body).toEqual({ error: expect.stringMatching(/^no caller to relay/) });
    expect((await getJson(`${a}/public/system`)).body).toMatchObject({ userId: 'system' });
    expect(() => serviceA.get(ServiceCalls).headers('relay')).toThrow(ServiceCallError);
  });

  it('keeps 50 callers apart: 500 relayed calls at 100 in flight, over every transport, each seen by B as its own', async () => {
    const tokens = Array.from({ length: 50 }, (_, i) => kit.authorization({ userId: `user-${i}`, roles: [`r${i}`] }));
    const wrong: string[] = [];
    await inFlight(500, 100, async (n) => {
      const i = n % 50;
      const via = VIAS[n % VIAS.length]!;
      const { body } = await call('relay', via, { authorization: tokens[i]!, 'x-request-id': `r-${n}` });
      const seen = body as Seen;
      if (seen.userId !== `user-${i}` || seen.roles[0] !== `r${i}` || seen.requestId !== `r-${n}`) wrong.push(`${via} ${n}: ${JSON.stringify(body)}`);
    });
    expect(wrong).toEqual([]);
  }, 60_000);

  it('signs one system token per lifetime, under load: 1,000 system calls at 100 in flight, one signature, one jti', async () => {
    const calls = serviceA.get(ServiceCalls);
    const before = calls.systemTokenSignatures;
    const jtis = new Set<unknown>();
    await inFlight(1_000, 100, async (n) => {
      jtis.add(((await call('system', VIAS[n % VIAS.length]!, kit.bearer().headers)).body as Seen).jti);
    });
    // At most one more: a token minted just before the run may reach its renewal time during it.
    expect(calls.systemTokenSignatures - before).toBeLessThanOrEqual(1);
    expect(jtis.size).toBeLessThanOrEqual(2);
    expect(calls.systemTokenSignatures).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('mints its system token as the Go services do (header and claims against their shape), and its own verifier accepts it', async () => {
    // The token in hand may have been minted by an earlier test, up to its renewal time ago: move
    // the clock past any renewal so this one is signed now, and its lifetime can be read exactly.
    const now = Date.now() + 3_600_000;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    let token: string;
    try {
      token = serviceA.get(ServiceCalls).headers('system').authorization.replace(/^Bearer /, '');
    } finally {
      clock.mockRestore();
    }
    const [header, payload] = token.split('.') as [string, string];
    expect(decodeSegment(header)).toBe(GO_SYSTEM_TOKEN.header);
    const claims = JSON.parse(decodeSegment(payload)) as Record<string, unknown>;
    expect(Object.keys(claims)).toEqual(GO_SYSTEM_TOKEN.claimOrder);
    expect(claims).toMatchObject({ ...GO_SYSTEM_TOKEN.fixed, iss: 'service-a', sub: 'service-a' });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((claims.exp as number) - Math.floor(now / 1000)).toBe(GO_SYSTEM_TOKEN.lifetimeSeconds);
    // Round trip: the module that minted it takes it, as service B does (its exp is an hour ahead,
    // well inside what a verifier accepts).
    expect((await getJson(`${a}/call/relay/tcp`, { headers: { authorization: `Bearer ${token}` } })).body).toMatchObject({ userId: 'system', iss: 'service-a' });
  });

  it('signs anew after the system key is rotated, and the other service, which reloaded its keys too, accepts it', async () => {
    const calls = serviceA.get(ServiceCalls);
    const before = calls.headers('system').authorization;
    const rotated = rsaKeyPair();
    writeFileSync(join(kit.keysDir, 'system.pub'), rotated.publicPem);
    writeFileSync(join(kit.keysDir, 'system'), rotated.privatePem);
    // What each replica's file watcher does when Kubernetes swaps the secret (the kit turns watching off).
    await Promise.all([serviceA, serviceB].map((app) => app.get(KeyStore).reload()));
    const after = calls.headers('system').authorization;
    expect(after).not.toBe(before);
    expect((await call('system', 'http', kit.bearer().headers)).body).toMatchObject({ userId: 'system' });
  }, 20_000);
});

describe('serviceCalls: bad configuration fails start-up, naming the option', () => {
  const dirs: string[] = [];
  const keysDir = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'mk-calls-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  };
  const start = async (options: Parameters<typeof MicrokubesModule.forRoot>[0]) => {
    const moduleRef = await Test.createTestingModule({ imports: [MicrokubesModule.forRoot(options)] }).setLogger(new RecordingLogger()).compile();
    await moduleRef.close();
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses system tokens without a system private key', async () => {
    const pair = rsaKeyPair();
    const dir = keysDir({ 'default.pub': pair.publicPem });
    const failure = start({ keysDir: dir, serviceCalls: { serviceName: 'svc' } });
    await expect(failure).rejects.toBeInstanceOf(MicrokubesOptionsError);
    await expect(failure).rejects.toThrow(/serviceCalls\.systemKey.*no private key named "system"/);
    // Relay only needs no key.
    await expect(start({ keysDir: dir, serviceCalls: { serviceName: 'svc', systemKey: false } })).resolves.toBeUndefined();
  });

  it('refuses a system key that is not RSA', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = keysDir({ 'default.pub': rsaKeyPair().publicPem, system: ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString() });
    await expect(start({ keysDir: dir, serviceCalls: { serviceName: 'svc' } })).rejects.toThrow(/serviceCalls\.systemKey.*is an ec key; system tokens are RS256/);
  });

  it('refuses an RSA system key smaller than 2048 bits', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const dir = keysDir({ 'default.pub': rsaKeyPair().publicPem, system: small.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() });
    await expect(start({ keysDir: dir, serviceCalls: { serviceName: 'svc' } })).rejects.toThrow(/serviceCalls\.systemKey.*1024-bit RSA key; system tokens need at least 2048 bits/);
  });

  it('refuses system tokens without a name to sign them with', async () => {
    const dir = keysDir({ 'default.pub': rsaKeyPair().publicPem });
    await expect(start({ keysDir: dir, serviceCalls: true })).rejects.toThrow(/serviceCalls\.serviceName/);
  });
});
