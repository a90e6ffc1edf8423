import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClient } from '../lib/microkubes-options.interface.js';
import { RedisRevocationStore, type Revocation } from '../lib/revocation/redis-revocation-store.js';
import { RevocationMirror } from '../lib/revocation/revocation-mirror.js';
import { benchRedis } from './bench-redis.js';

/**
 * `npm run bench`, revocations' memory: one million revoked tokens, in a replica's mirror (its
 * typed arrays, and the heap it grows by) and in Redis (`used_memory`), written through the real
 * store, with the tokens' expiries spread over 30 days (the OAuth2 access tokens) and over 24 hours
 * (the sign-in tokens). Redis: REDIS_URL, or a redis-server of its own. Run with --expose-gc.
 */
const TOKENS = Number(process.env.BENCH_REVOKED ?? 1_000_000);
const CONCURRENCY = 1_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const now = Math.floor(Date.now() / 1000);
const spreads = [{ name: '30 days', seconds: 30 * 86_400 }, { name: '24 hours', seconds: 86_400 }];
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function revocations(spread: number): Revocation[] {
  return Array.from({ length: TOKENS }, (_, i) => ({ kind: 'token', id: randomUUID(), until: now + 3_600 + Math.floor((i / TOKENS) * spread) }));
}

/** The mirror holds no object per token: its tables are typed arrays, counted as array buffers. */
function measureMirror(all: Revocation[]): string {
  gc!();
  const before = process.memoryUsage().arrayBuffers;
  const mirror = new RevocationMirror(30 * 86_400);
  const started = performance.now();
  for (const revocation of all) mirror.add(revocation, now);
  const seconds = (performance.now() - started) / 1000;
  gc!();
  const grown = process.memoryUsage().arrayBuffers - before;
  return `mirror ${megabytes(mirror.bytes)} of tables for ${mirror.size.tokens.toLocaleString('en-US')} tokens (array buffers grew ${megabytes(grown)}; added in ${seconds.toFixed(2)} s)`;
}

async function usedMemory(): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function measureRedis(all: Revocation[], prefix: string): Promise<string> {
  const store = new RedisRevocationStore(client as unknown as RedisClient, prefix);
  const before = await usedMemory();
  const started = performance.now();
  for (let i = 0; i < all.length; i += CONCURRENCY) {
    await Promise.all(all.slice(i, i + CONCURRENCY).map((revocation) => store.record(revocation, now)));
  }
  const seconds = (performance.now() - started) / 1000;
  const used = (await usedMemory()) - before;
  const hashes = await client.zCard(`${prefix}index`);
  const loadStarted = performance.now();
  const loaded = await store.load(now, () => {});
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const keys = await client.zRange(`${prefix}index`, 0, -1);
  for (let i = 0; i < keys.length; i += 500) await client.unlink(keys.slice(i, i + 500));
  await client.unlink(`${prefix}index`);
  return `Redis ${megabytes(used)} in ${hashes.toLocaleString('en-US')} minute hashes (${Math.round(used / all.length)} bytes a token); ` +
    `recorded in ${seconds.toFixed(1)} s (${Math.round(all.length / seconds).toLocaleString('en-US')}/s), a replica loads them in ${loadSeconds.toFixed(1)} s (${loaded.toLocaleString('en-US')})`;
}

const redis = await benchRedis();
const url = redis.url;
const client = createClient({ url });
await client.connect();
try {
  for (const spread of spreads) {
    const all = revocations(spread.seconds);
    console.log(`Revocations, ${TOKENS.toLocaleString('en-US')} tokens expiring over ${spread.name}: ${measureMirror(all)}`);
    console.log(`Revocations, ${TOKENS.toLocaleString('en-US')} tokens expiring over ${spread.name}: ${await measureRedis(all, `bench:revocation:${Date.now()}:`)}`);
  }
} finally {
  client.destroy();
  redis.stop();
}
