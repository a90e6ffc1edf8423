import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startReplica, type Replica } from '../support/revocation-replicas.js';
import { bearer } from '../support/test-app.js';

const MAX_TOKEN_LIFETIME = 60;
const now = () => Math.floor(Date.now() / 1000);

describe('revocations leave Redis on their own when the tokens they refuse expire', () => {
  let redis: RedisServer;
  let keys: PlatformKeysDir;
  let replica: Replica;
  let observer: ReturnType<typeof createClient>;
  const prefix = `test:revocation:expiry:${Date.now()}:`;

  beforeAll(async () => {
    redis = await startRedis();
    keys = platformKeysDir();
    replica = await startReplica('express', keys.dir, 'redis', redis.url, { prefix, maxTokenLifetime: MAX_TOKEN_LIFETIME });
    observer = createClient({ url: redis.url });
    await observer.connect();
  }, 30_000);
  afterAll(async () => {
    observer?.destroy();
    await replica?.close();
    await redis?.stop();
    keys?.remove();
  });

  it('keeps a token entry and a subject entry only until their minute ends, index included', async () => {
    // Both entries fall in the minute that ends at least 3 s from now: the test waits 3 to 63 s.
    const minuteEnd = Math.ceil((now() + 3) / 60) * 60;
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'expiring', username: 'e@example.com', roles: ['user'] }, 'api:read', { exp: minuteEnd - 1 });
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    expect(await replica.revocations.revokeToken(token)).toBe(true);
    // Tokens of 'someone' issued before this instant are all expired by minuteEnd - 1.
    expect(await replica.revocations.revokeSubject('someone', { before: new Date((minuteEnd - 1 - MAX_TOKEN_LIFETIME) * 1000) })).toBe(true);
    expect((await fetch(`${replica.url}/hello`, bearer(token))).status).toBe(401);

    const stored = (await observer.keys(`${prefix}*`)).sort();
    expect(stored).toEqual([`${prefix}index`, `${prefix}s:${minuteEnd}`, `${prefix}t:${minuteEnd}`]);
    expect(await observer.hGetAll(`${prefix}t:${minuteEnd}`)).toEqual({ [jti]: String(minuteEnd - 1) });
    expect(await observer.hGetAll(`${prefix}s:${minuteEnd}`)).toEqual({ someone: String(minuteEnd - 1 - MAX_TOKEN_LIFETIME) });
    for (const key of stored) {
      const ttl = await observer.ttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(minuteEnd - now() + 1);
    }

    await eventually(async () => (await observer.keys(`${prefix}*`)).length === 0, 'Redis to drop every entry', (minuteEnd - now() + 5) * 1000);
    expect(now()).toBeGreaterThanOrEqual(minuteEnd);
    // Nothing to reload: a replica that starts now loads nothing, and the mirror forgets on its sweep.
    const late = await startReplica('fastify', keys.dir, 'redis', redis.url, { prefix, maxTokenLifetime: MAX_TOKEN_LIFETIME });
    try {
      expect(late.revocations.status).toMatchObject({ current: true, tokens: 0, subjects: 0 });
    } finally {
      await late.close();
    }
  }, 90_000);

  it('refuses to record what has expired anyway, and writes nothing', async () => {
    const expired = { jti: 'long-gone', exp: now() - 5 };
    expect(await replica.revocations.revokeToken(expired)).toBe(false);
    expect(await replica.revocations.revokeSubject('long-gone', { before: new Date((now() - MAX_TOKEN_LIFETIME - 5) * 1000) })).toBe(false);
    expect(await observer.keys(`${prefix}*`)).toEqual([]);
  });
});
