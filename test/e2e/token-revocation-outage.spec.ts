import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { startOwnRedis, type OwnRedisServer } from '../support/redis-server.js';
import { eventually, startReplica, type RedisClientName, type Replica } from '../support/revocation-replicas.js';
import { bearer } from '../support/test-app.js';

async function answer(replica: Replica, token: string): Promise<{ status: number; message?: string }> {
  const response = await fetch(`${replica.url}/hello`, bearer(token));
  return { status: response.status, message: ((await response.json()) as { message?: string }).message };
}

describe.each<RedisClientName>(['redis', 'ioredis'])('token revocations while Redis dies and comes back, with the %s client', (clientName) => {
  let redis: OwnRedisServer;
  let keys: PlatformKeysDir;
  const token = (userId: string) => jwtIssuerToken(keys.default.privateKey, { userId, username: `${userId}@example.com`, roles: ['user'] });

  beforeAll(async () => {
    // Persistent, as a production Redis: what was revoked survives the kill.
    redis = await startOwnRedis({ persistent: true });
    keys = platformKeysDir();
  });
  afterAll(async () => {
    await redis?.stop();
    keys?.remove();
  });

  it('holds each configured behaviour under load: fail closed refuses every token, trustMirrorFor trusts the mirror for its time; both recover', async () => {
    const closed = await startReplica('express', keys.dir, clientName, redis.url);
    const trusting = await startReplica('fastify', keys.dir, clientName, redis.url, { trustMirrorFor: 3 });
    try {
      const good = token('good');
      const stolen = token('stolen');
      await closed.revocations.revokeToken(stolen);
      await eventually(async () => (await answer(trusting, stolen)).status === 401, 'the revocation to reach the other replica');
      const seen = { closed: new Map<string, number>(), trusting: new Map<string, number>() };
      let loading = true;
      const load = Promise.all([closed, trusting].map(async (replica) => {
        const counts = replica === closed ? seen.closed : seen.trusting;
        while (loading) {
          const { status, message } = await answer(replica, good);
          counts.set(`${status} ${message ?? ''}`, (counts.get(`${status} ${message ?? ''}`) ?? 0) + 1);
        }
      }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.kill();
      const killedAt = Date.now();
      await eventually(async () => (await answer(closed, good)).message === 'token revocations unavailable', 'fail closed');
      // Within its trust window, the trusting replica answers from its mirror: the good token
      // passes, the revoked one is still refused.
      expect((await answer(trusting, good)).status).toBe(200);
      expect(await answer(trusting, stolen)).toMatchObject({ status: 401, message: 'token revoked' });
      expect(Date.now() - killedAt).toBeLessThan(3_000);
      // Past it, it fails closed too.
      await eventually(async () => (await answer(trusting, good)).message === 'token revocations unavailable', 'the trust window to end', 10_000);
      await redis.restart();
      for (const replica of [closed, trusting]) {
        await eventually(async () => (await answer(replica, good)).status === 200, 'the replica to reload its mirror', 15_000);
        expect(await answer(replica, stolen)).toMatchObject({ status: 401, message: 'token revoked' });
      }
      loading = false;
      await load;
      console.log(`[${clientName}] answers during the outage: fail closed ${JSON.stringify([...seen.closed])}, trusting ${JSON.stringify([...seen.trusting])}`);
      expect(seen.closed.get('401 token revocations unavailable')).toBeGreaterThan(0);
      expect([...seen.closed.keys(), ...seen.trusting.keys()].every((key) => key === '200 ' || key === '401 token revocations unavailable')).toBe(true);
    } finally {
      await closed.close();
      await trusting.close();
    }
  }, 60_000);

  it('fails start-up when the mirror cannot be loaded (requiredAtStartup, the default)', async () => {
    try {
      await expect(startReplica('express', keys.dir, clientName, redis.url, { startupTimeout: 1 }, () => redis.kill()))
        .rejects.toThrow(/cannot load the token revocations from Redis/);
    } finally {
      await redis.restart();
    }
  }, 30_000);

  it('starts without Redis when requiredAtStartup is false, refuses every token until it can load, then accepts', async () => {
    const replica = await startReplica('fastify', keys.dir, clientName, redis.url, { startupTimeout: 1, requiredAtStartup: false }, () => redis.kill());
    try {
      const good = token('good');
      expect(await answer(replica, good)).toMatchObject({ status: 401, message: 'token revocations unavailable' });
      await redis.restart();
      await eventually(async () => (await answer(replica, good)).status === 200, 'the mirror to load', 15_000);
      expect(replica.revocations.status.current).toBe(true);
    } finally {
      await replica.close();
    }
  }, 30_000);
});
