import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { RevocationOptions } from 'microkubes-nestjs';
import { createClient } from 'redis';

const clients = new Set<{ destroy(): void }>();

/**
 * Token revocation on the Redis at `REVOCATION_REDIS_URL`, when it is set (off otherwise: the
 * sample runs without Redis). `REVOCATION_TRUST_MIRROR_FOR` seconds of trusting the mirror while
 * Redis is away (default 0: every token is refused until it is back).
 */
export async function revocationFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<RevocationOptions | undefined> {
  if (!env.REVOCATION_REDIS_URL) return undefined;
  const redis = createClient({ url: env.REVOCATION_REDIS_URL });
  // An outage emits errors; the module reports it (and refuses tokens) itself.
  redis.on('error', () => {});
  await redis.connect();
  clients.add(redis);
  return { redis, trustMirrorFor: Number(env.REVOCATION_TRUST_MIRROR_FOR ?? 0) };
}

/** Closes the sample's own Redis client when the app shuts down (the module closes only its own). */
@Injectable()
export class RevocationRedisCloser implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    for (const client of clients) client.destroy();
    clients.clear();
  }
}
