import type { RedisClient } from '../microkubes-options.interface.js';

/**
 * One raw command on either client: ioredis `call` (its `sendCommand` takes a Command object, so
 * `call` is asked first), node-redis `sendCommand`.
 */
export function redisCommand(client: RedisClient, ...args: string[]): Promise<unknown> {
  const either = client as { sendCommand?: (args: string[]) => Promise<unknown>; call?: (command: string, ...rest: string[]) => Promise<unknown> };
  if (typeof either.call === 'function') return either.call(args[0] as string, ...args.slice(1));
  return (either.sendCommand as NonNullable<typeof either.sendCommand>)(args);
}

/** Whether a value can be used as a connected client of the redis or ioredis package. */
export function isRedisClient(value: unknown): value is RedisClient {
  const client = value as { sendCommand?: unknown; call?: unknown } | null;
  return typeof client === 'object' && client !== null && (typeof client.sendCommand === 'function' || typeof client.call === 'function');
}
