import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtIssuerToken, platformKeysDir, signClaims, type PlatformKeysDir } from '../../lib/testing/index.js';
import { inFlight } from '../support/in-flight.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startReplica, type RedisClientName, type Replica } from '../support/revocation-replicas.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { bearer } from '../support/test-app.js';

const REVOCATIONS = 1_000;
const now = () => Math.floor(Date.now() / 1000);

async function status(replica: Replica, token: string): Promise<{ status: number; message?: string; challenge: string | null }> {
  const response = await fetch(`${replica.url}/hello`, bearer(token));
  const body = (await response.json()) as { message?: string };
  return { status: response.status, message: body.message, challenge: response.headers.get('www-authenticate') };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe.each<RedisClientName>(['redis', 'ioredis'])('token revocations across three replicas, with the %s client', (clientName) => {
  let redis: RedisServer;
  let keys: PlatformKeysDir;
  let proxy: TcpProxy;
  let a: Replica;
  let b: Replica;
  let c: Replica;
  const user = (userId: string) => ({ userId, username: `${userId}@example.com`, roles: ['user'] });
  const token = (userId: string, extra: Record<string, unknown> = {}) => jwtIssuerToken(keys.default.privateKey, user(userId), 'api:read', extra);

  beforeAll(async () => {
    redis = await startRedis();
    keys = platformKeysDir();
    proxy = await startTcpProxy(Number(new URL(redis.url).port));
    const prefix = `test:revocation:${clientName}:${Date.now()}:`;
    // Both adapters among the replicas; C reaches Redis through a proxy the tests can cut, and
    // trusts its mirror meanwhile, so that what it accepts while cut off can be seen.
    a = await startReplica('express', keys.dir, clientName, redis.url, { prefix });
    b = await startReplica('fastify', keys.dir, clientName, redis.url, { prefix });
    c = await startReplica('express', keys.dir, clientName, proxy.url('redis'), { prefix, trustMirrorFor: 600 });
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a, b, c].map((replica) => replica?.close()));
    await proxy?.close();
    await redis?.stop();
    keys?.remove();
  });

  it(`refuses on B and C what A revoked, within 1 s: p99 over ${REVOCATIONS} revocations under load, cache or not`, async () => {
    const revoked = Array.from({ length: REVOCATIONS }, (_, i) => token(`revoked-${i}`));
    // Each token seen twice on B and C: in their verified-token caches before it is revoked.
    await inFlight(REVOCATIONS * 2, 50, async (n) => {
      for (const replica of [b, c]) expect((await status(replica, revoked[n % REVOCATIONS]!)).status).toBe(200);
    });
    const arrivals = new Map<string, Map<Replica, number>>();
    for (const replica of [b, c]) {
      replica.revocations.onRevocation((revocation) => {
        if (revocation.kind !== 'token') return;
        const seen = arrivals.get(revocation.id) ?? new Map<Replica, number>();
        if (!seen.has(replica)) seen.set(replica, performance.now());
        arrivals.set(revocation.id, seen);
      });
    }
    // Load on B and C meanwhile: callers whose tokens stay good, each of them answered 200.
    const good = Array.from({ length: 20 }, (_, i) => token(`good-${i}`));
    let loading = true;
    let served = 0;
    const load = Promise.all(Array.from({ length: 16 }, async (_, worker) => {
      for (let n = worker; loading; n += 16) {
        const replica = n % 2 === 0 ? b : c;
        expect((await status(replica, good[n % good.length]!)).status).toBe(200);
        served++;
      }
    }));
    const latencies: number[] = [];
    const started = new Map<string, number>();
    await inFlight(REVOCATIONS, 10, async (n) => {
      const jti = JSON.parse(Buffer.from(revoked[n]!.split('.')[1]!, 'base64url').toString()).jti as string;
      started.set(jti, performance.now());
      expect(await a.revocations.revokeToken(revoked[n]!)).toBe(true);
    });
    await eventually(() => [...started.keys()].every((jti) => arrivals.get(jti)?.size === 2), 'every revocation on B and C', 5_000);
    loading = false;
    await load;
    for (const [jti, begun] of started) for (const at of arrivals.get(jti)!.values()) latencies.push(at - begun);
    latencies.sort((x, y) => x - y);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`[${clientName}] revoked on A, seen on B and C: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length} (${served} requests served meanwhile)`);
    expect(p99).toBeLessThan(1_000);
    // Never accepted again, on any replica, though each was in B's and C's caches.
    await inFlight(REVOCATIONS, 50, async (n) => {
      for (const replica of [a, b, c]) {
        const answer = await status(replica, revoked[n]!);
        expect(answer).toMatchObject({ status: 401, message: 'token revoked' });
        expect(answer.challenge).toBe('Bearer realm="microkubes", error="invalid_token", error_description="token revoked"');
      }
    });
  }, 120_000);

  it('refuses every older token of a user after revokeSubject, and accepts one issued after', async () => {
    const older = token('subject-1', { iat: now() - 60 });
    const withoutIat = signClaims(keys.default.privateKey, { iss: 'Microkubes JWT Authority', userId: 'subject-1', username: 'x', roles: 'user', jti: 'no-iat', exp: now() + 3600 });
    const other = token('subject-2', { iat: now() - 60 });
    for (const replica of [a, b, c]) expect((await status(replica, older)).status).toBe(200);
    await a.revocations.revokeSubject('subject-1', { before: new Date(Date.now() - 5_000) });
    for (const replica of [b, c]) await eventually(async () => (await status(replica, older)).status === 401, 'B and C to refuse');
    for (const replica of [a, b, c]) {
      expect(await status(replica, older)).toMatchObject({ status: 401, message: 'token revoked' });
      // No iat: issued 30 days (maxTokenLifetime) before its exp, so before the instant.
      expect(await status(replica, withoutIat)).toMatchObject({ status: 401, message: 'token revoked' });
      expect((await status(replica, token('subject-1', { iat: now() }))).status).toBe(200);
      expect((await status(replica, other)).status).toBe(200);
    }
  });

  it('makes a replica that was cut off from Redis enforce, once back, what was revoked meanwhile', async () => {
    const stolen = token('cut-off');
    for (const replica of [a, b, c]) expect((await status(replica, stolen)).status).toBe(200);
    proxy.cut();
    await eventually(() => !c.revocations.status.current, 'C to see Redis gone');
    await a.revocations.revokeToken(stolen);
    await eventually(async () => (await status(b, stolen)).status === 401, 'B to refuse');
    // Cut off, C trusts its mirror (trustMirrorFor: 600) and cannot know: the price of that choice.
    expect((await status(c, stolen)).status).toBe(200);
    proxy.restore();
    await eventually(() => c.revocations.status.current, 'C to reload its mirror', 15_000);
    expect(await status(c, stolen)).toMatchObject({ status: 401, message: 'token revoked' });
  }, 30_000);
});
