import { credentials, loadPackageDefinition, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { INestMicroservice } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { GrpcHandlers, GuardedStreamCall, InheritedStreamCall, PublicStreamCall } from '../support/rpc-handlers.js';
import { inFlight } from '../support/in-flight.js';
import { freePort, RecordingLogger } from '../support/test-app.js';

const PROTO = fileURLToPath(new URL('../support/hello.proto', import.meta.url));

interface Caller {
  userId: string;
  roles: string;
  tag: string;
}
type Unary = (request: { tag: string }, metadata: Metadata, callback: (error: ServiceError | null, response?: Caller) => void) => void;
interface HelloClient {
  WhoAmI: Unary;
  Admin: Unary;
  Chat(metadata: Metadata): ClientDuplexStream<{ tag: string }, Caller>;
  close(): void;
}

/** One message over the bidirectional Chat stream: its answer, or the ServiceError the stream ended with. */
function chat(client: HelloClient, entries: Array<[string, string]>): Promise<Caller | ServiceError> {
  const metadata = new Metadata();
  for (const [name, value] of entries) metadata.add(name, value);
  return new Promise((resolve) => {
    const stream = client.Chat(metadata);
    stream.on('data', (answer: Caller) => {
      resolve(answer);
      stream.end();
    });
    stream.on('error', (error: ServiceError) => resolve(error));
    stream.write({ tag: 'hi' });
  });
}

/** Calls a method with a real @grpc/grpc-js client: its answer, or the ServiceError it failed with. */
function call(client: HelloClient, method: 'WhoAmI' | 'Admin', tag: string, entries: Array<[string, string]> = []): Promise<Caller | ServiceError> {
  const metadata = new Metadata();
  for (const [name, value] of entries) metadata.add(name, value);
  return new Promise((resolve) => client[method]({ tag }, metadata, (error, response) => resolve(error ?? response!)));
}

/** Policies on `grpc:<Service>/<Method>`: everyone may call, but the banned not WhoAmI. */
const OPTIONS = {
  acl: {
    enforcePolicies: true,
    policies: [
      { id: 'hello', effect: 'allow' as const, subjects: ['<.+>'], resources: ['grpc:HelloService/<WhoAmI|Admin|Chat>'], actions: ['api:read'] },
      { id: 'no-banned', effect: 'deny' as const, subjects: ['<.+>'], resources: ['grpc:HelloService/WhoAmI'], actions: ['api:read'], conditions: { roles: { type: 'RolesCondition', options: { values: ['banned'] } } } },
    ],
  },
};

describe('gRPC methods behind the module (@grpc/grpc-js server and client)', () => {
  const kit = MicrokubesTestingKit.create();
  let app: INestMicroservice;
  let client: HelloClient;

  beforeAll(async () => {
    const url = `127.0.0.1:${await freePort()}`;
    const moduleRef = await Test.createTestingModule({ imports: [kit.module(OPTIONS)], controllers: [GrpcHandlers] })
      .setLogger(new RecordingLogger())
      .compile();
    app = moduleRef.createNestMicroservice({ transport: Transport.GRPC, options: { package: 'hello', protoPath: PROTO, url } });
    app.useLogger(new RecordingLogger());
    await app.listen();
    const definition = loadPackageDefinition(loadSync(PROTO)) as unknown as { hello: { HelloService: new (url: string, creds: ReturnType<typeof credentials.createInsecure>) => HelloClient } };
    client = new definition.hello.HelloService(url, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    kit.remove();
  });

  it('answers a call with a valid token in the authorization metadata, with its caller', async () => {
    const answer = await call(client, 'WhoAmI', 't1', [['authorization', kit.authorization({ userId: 'g-1', roles: ['user', 'ops'] })]]);
    expect(answer).toEqual({ userId: 'g-1', roles: 'user,ops', tag: 't1' });
  });

  it('refuses a call without a token with UNAUTHENTICATED (16)', async () => {
    const answer = (await call(client, 'WhoAmI', 't')) as ServiceError;
    expect(answer.code).toBe(status.UNAUTHENTICATED);
    expect(answer.details).toBe('missing bearer token');
  });

  it.each(MicrokubesTestingKit.create().refusedTokens().map((bad) => bad.name))('refuses a token that is %s with UNAUTHENTICATED', async (name) => {
    const bad = kit.refusedTokens().find((token) => token.name === name)!;
    const answer = (await call(client, 'WhoAmI', 't', [['authorization', `Bearer ${bad.token}`]])) as ServiceError;
    expect(answer.code).toBe(status.UNAUTHENTICATED);
    expect(answer.details).not.toContain(bad.token.slice(0, 20));
  });

  it('refuses a method whose @Roles the caller lacks with PERMISSION_DENIED (7), and runs it for one who has them', async () => {
    const denied = (await call(client, 'Admin', 't', [['authorization', kit.authorization({ roles: ['user'] })]])) as ServiceError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(await call(client, 'Admin', 't', [['authorization', kit.authorization({ roles: ['admin'] })]])).toMatchObject({ userId: 'secret' });
  });

  it('judges policies on grpc:<Service>/<Method>: a deny gives PERMISSION_DENIED', async () => {
    const denied = (await call(client, 'WhoAmI', 't', [['authorization', kit.authorization({ roles: ['user', 'banned'] })]])) as ServiceError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe('access denied by policy');
    expect(await call(client, 'Admin', 't', [['authorization', kit.authorization({ roles: ['admin', 'banned'] })]])).toMatchObject({ userId: 'secret' });
  });

  it('secures a bidirectional @GrpcStreamMethod: the caller for a token, UNAUTHENTICATED without', async () => {
    expect(await chat(client, [['authorization', kit.authorization({ userId: 's-1' })]])).toEqual({ userId: 's-1', roles: 'user', tag: 'hi' });
    const refused = (await chat(client, [])) as ServiceError;
    expect(refused.code).toBe(status.UNAUTHENTICATED);
  });

  it('2,000 calls of 50 callers, 100 in flight: each sees its own caller', async () => {
    const tokens = Array.from({ length: 50 }, (_, i) => kit.authorization({ userId: `user-${i}`, roles: [`r${i}`] }));
    const wrong: string[] = [];
    await inFlight(2_000, 100, async (n) => {
      const i = n % 50;
      const seen = (await call(client, 'WhoAmI', String(i), [['authorization', tokens[i]!]])) as Caller;
      if (seen.userId !== `user-${i}` || seen.roles !== `r${i}` || seen.tag !== String(i)) wrong.push(`${i}: ${JSON.stringify(seen)}`);
    });
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe('@GrpcStreamCall handlers behind the guard', () => {
  it('fail start-up: Nest would not catch a refusal, and one call without a token would end the process', async () => {
    const kit = MicrokubesTestingKit.create();
    try {
      const guarded = await Test.createTestingModule({ imports: [kit.module()], controllers: [GuardedStreamCall] }).setLogger(new RecordingLogger()).compile();
      await expect(guarded.init()).rejects.toThrow('GuardedStreamCall.chat is a @GrpcStreamCall handler behind MicrokubesAuthGuard');
      const inherited = await Test.createTestingModule({ imports: [kit.module()], controllers: [InheritedStreamCall] }).setLogger(new RecordingLogger()).compile();
      await expect(inherited.init()).rejects.toThrow('InheritedStreamCall.chat is a @GrpcStreamCall handler behind MicrokubesAuthGuard');
      const open = await Test.createTestingModule({ imports: [kit.module()], controllers: [PublicStreamCall] }).setLogger(new RecordingLogger()).compile();
      await open.init();
      await open.close();
    } finally {
      kit.remove();
    }
  });
});
