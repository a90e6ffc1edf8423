import { createHash } from 'node:crypto';
import type { RedisClient } from '../microkubes-options.interface.js';
import { redisCommand } from '../redis/redis-command.js';

/** A revoked token (by `jti`), refused until `until` (epoch seconds). */
export interface TokenRevoked {
  kind: 'token';
  id: string;
  until: number;
}

/** Every token of a user issued before `before` (epoch seconds), kept until `until`. */
export interface SubjectRevoked {
  kind: 'subject';
  id: string;
  before: number;
  until: number;
}

export type Revocation = TokenRevoked | SubjectRevoked;

/** Longer ids than a jti or user id can be are no revocation (a message is validated, not trusted). */
const MAX_ID_LENGTH = 1024;
/** Entries expire with the minute they fall in: one small hash a minute, never a key a token. */
const BUCKET_SECONDS = 60;
/** Hashes read at once while loading (the client pipelines them on its connection). */
const LOAD_CONCURRENCY = 32;

/**
 * Keeps the greater of the stored and given values in the minute's hash, sets the hash to expire
 * with its minute, indexes it, forgets the index's past minutes, and publishes the revocation:
 * one script, so that no replica can see the message before the entry is there to be loaded.
 * KEYS: the hash, the index. ARGV: field, value, minute's end, now, channel, message.
 */
const RECORD = `
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[2], last[2])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;
const RECORD_SHA = createHash('sha1').update(RECORD).digest('hex');

/**
 * Revocations in Redis, shared by the service's replicas: `<prefix>t:<minute>` hashes map a
 * token's `jti` to when it may be forgotten, `<prefix>s:<minute>` hashes a user id to the instant
 * before which its tokens are refused; each hash expires with its minute, so that nothing outlives
 * the tokens it refuses by more than a minute. `<prefix>index` lists the live hashes, and every
 * revocation is published on `<prefix>events`.
 */
export class RedisRevocationStore {
  readonly channel: string;
  private readonly index: string;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {
    this.channel = `${prefix}events`;
    this.index = `${prefix}index`;
  }

  async record(revocation: Revocation, now: number): Promise<void> {
    const minuteEnd = Math.ceil(revocation.until / BUCKET_SECONDS) * BUCKET_SECONDS;
    const hash = `${this.prefix}${revocation.kind === 'token' ? 't' : 's'}:${minuteEnd}`;
    const value = revocation.kind === 'token' ? revocation.until : revocation.before;
    const args = ['2', hash, this.index, revocation.id, String(value), String(minuteEnd), String(now), this.channel, encodeRevocation(revocation)];
    // By its digest: a mass logout sends the script once, not once a token.
    try {
      await redisCommand(this.client, 'EVALSHA', RECORD_SHA, ...args);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error)?.message))) throw error;
      await redisCommand(this.client, 'EVAL', RECORD, ...args);
    }
  }

  /** Every live revocation, hash by hash (HSCAN: no command blocks Redis for long). */
  async load(now: number, each: (revocation: Revocation) => void): Promise<number> {
    const hashes = (await redisCommand(this.client, 'ZRANGEBYSCORE', this.index, String(now), '+inf')) as string[];
    let count = 0;
    for (let i = 0; i < hashes.length; i += LOAD_CONCURRENCY) {
      await Promise.all(hashes.slice(i, i + LOAD_CONCURRENCY).map(async (hash) => {
        const kind = hash.startsWith(`${this.prefix}t:`) ? 'token' : hash.startsWith(`${this.prefix}s:`) ? 'subject' : undefined;
        const minuteEnd = Number(hash.slice(this.prefix.length + 2));
        if (!kind || !Number.isInteger(minuteEnd)) return;
        let cursor = '0';
        do {
          const [next, pairs] = (await redisCommand(this.client, 'HSCAN', hash, cursor, 'COUNT', '1000')) as [string, string[]];
          cursor = String(next);
          for (let j = 0; j + 1 < pairs.length; j += 2) {
            const id = String(pairs[j]);
            const value = Number(pairs[j + 1]);
            if (!Number.isFinite(value)) continue;
            each(kind === 'token' ? { kind, id, until: value } : { kind, id, before: value, until: minuteEnd });
            count++;
          }
        } while (cursor !== '0');
      }));
    }
    return count;
  }
}

/** A revocation as published: short keys, for the many that a mass logout sends. */
export function encodeRevocation(revocation: Revocation): string {
  return revocation.kind === 'token'
    ? JSON.stringify({ k: 't', id: revocation.id, u: revocation.until })
    : JSON.stringify({ k: 's', id: revocation.id, b: revocation.before, u: revocation.until });
}

/** A published revocation, or undefined for a message that is not one (never trusted blindly). */
export function decodeRevocation(message: string): Revocation | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  const { k, id, u, b } = (parsed ?? {}) as { k?: unknown; id?: unknown; u?: unknown; b?: unknown };
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH || typeof u !== 'number' || !Number.isFinite(u)) return undefined;
  if (k === 't') return { kind: 'token', id, until: u };
  if (k === 's' && typeof b === 'number' && Number.isFinite(b)) return { kind: 'subject', id, before: b, until: u };
  return undefined;
}
