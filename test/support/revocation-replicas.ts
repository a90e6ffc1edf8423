import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { MicrokubesModule, TokenRevocations, type RedisClient, type RevocationOptions } from '../../lib/index.js';
import { HelloController } from './hello.controller.js';
import { startApp, type HttpPlatform, type RunningApp } from './test-app.js';

/** A connected client of either package the option takes, as an app would make it. */
export interface TestRedisClient {
  client: RedisClient;
  close(): Promise<void>;
}

export const REDIS_CLIENTS = {
  redis: async (url: string): Promise<TestRedisClient> => {
    const client = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(retries * 50, 200) } });
    // An app's own client must listen for errors (an outage emits them), or the process dies.
    client.on('error', () => {});
    await client.connect();
    return { client: client as unknown as RedisClient, close: async () => void client.destroy() };
  },
  ioredis: async (url: string): Promise<TestRedisClient> => {
    const client = new Redis(url, { retryStrategy: (times: number) => Math.min(times * 50, 200), lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    return { client: client as unknown as RedisClient, close: async () => void client.disconnect() };
  },
};

export type RedisClientName = keyof typeof REDIS_CLIENTS;

/** One replica of a service: its own app, its own Redis client, the shared Redis. */
export interface Replica extends RunningApp {
  revocations: TokenRevocations;
  redis: TestRedisClient;
}

export async function startReplica(
  platform: HttpPlatform,
  keysDir: string,
  clientName: RedisClientName,
  redisUrl: string,
  revocation: Omit<RevocationOptions, 'redis'> = {},
  /** Run once the app's client is connected, before the app starts (to take Redis away, say). */
  beforeStart?: () => Promise<void>,
): Promise<Replica> {
  const redis = await REDIS_CLIENTS[clientName](redisUrl);
  try {
    await beforeStart?.();
    const running = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir, security: { revocation: { redis: redis.client, ...revocation } } })],
      controllers: [HelloController],
    });
    return {
      ...running,
      revocations: running.app.get(TokenRevocations),
      redis,
      close: async () => {
        await running.close();
        await redis.close();
      },
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}

/** Waits for `condition`, polling; fails with `what` after `ms`. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
