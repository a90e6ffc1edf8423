import type { RedisClient } from '../microkubes-options.interface.js';

/** What a subscription tells: each message, and when the connection goes down and comes back. */
export interface SubscriptionEvents {
  message(text: string): void;
  /** Subscribed again after the connection was lost (not at the first subscription). */
  up(): void;
  down(reason: string): void;
}

export interface RedisSubscription {
  close(): Promise<void>;
}

interface NodeRedisClient {
  duplicate(): NodeRedisClient;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(): void;
  disconnect?(): Promise<unknown>;
}

interface IoRedisClient {
  duplicate(): IoRedisClient;
  subscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect(): void;
}

/**
 * A channel subscribed on a connection of its own (a subscribed connection takes no other
 * command), duplicated from the app's client of either package, so it reconnects as that one does.
 */
export async function subscribe(client: RedisClient, channel: string, events: SubscriptionEvents, signal?: AbortSignal): Promise<RedisSubscription> {
  if (typeof (client as { duplicate?: unknown }).duplicate !== 'function') {
    throw new TypeError('the Redis client cannot be duplicated for a subscription (a client of the redis or ioredis package is needed)');
  }
  return typeof (client as { call?: unknown }).call === 'function'
    ? subscribeWithIoRedis((client as unknown as IoRedisClient).duplicate(), channel, events, signal)
    : subscribeWithNodeRedis((client as unknown as NodeRedisClient).duplicate(), channel, events, signal);
}

async function subscribeWithNodeRedis(connection: NodeRedisClient, channel: string, events: SubscriptionEvents, signal?: AbortSignal): Promise<RedisSubscription> {
  let subscribed = false;
  // Given up before it connected (start-up timed out): the connection must not retry forever.
  signal?.addEventListener('abort', () => connection.destroy?.(), { once: true });
  connection.on('error', (error) => subscribed && events.down((error as Error)?.message ?? String(error)));
  connection.on('reconnecting', () => subscribed && events.down('reconnecting'));
  connection.on('end', () => subscribed && events.down('connection closed'));
  // node-redis subscribes again before it says 'ready'.
  connection.on('ready', () => subscribed && events.up());
  try {
    await connection.connect();
    await connection.subscribe(channel, (message) => events.message(message));
  } catch (error) {
    connection.destroy?.();
    throw error;
  }
  subscribed = true;
  return {
    close: async () => {
      subscribed = false;
      if (connection.destroy) connection.destroy();
      else await connection.disconnect?.();
    },
  };
}

async function subscribeWithIoRedis(connection: IoRedisClient, channel: string, events: SubscriptionEvents, signal?: AbortSignal): Promise<RedisSubscription> {
  let subscribed = false;
  signal?.addEventListener('abort', () => connection.disconnect(), { once: true });
  connection.on('error', (error) => subscribed && events.down((error as Error)?.message ?? String(error)));
  connection.on('close', () => subscribed && events.down('connection closed'));
  connection.on('message', (from, message) => from === channel && events.message(message as string));
  // ioredis subscribes again after 'ready', on its own; once more here, to know when it has.
  connection.on('ready', () => {
    if (!subscribed) return;
    connection.subscribe(channel).then(() => events.up(), (error: Error) => events.down(error.message));
  });
  try {
    await connection.subscribe(channel);
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  subscribed = true;
  return {
    close: async () => {
      subscribed = false;
      connection.disconnect();
    },
  };
}
