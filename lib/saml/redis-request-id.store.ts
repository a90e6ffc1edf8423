import type { RedisClient, SamlRequestIdStore } from '../microkubes-options.interface.js';
import { redisCommand } from '../redis/redis-command.js';

/**
 * Request ids in Redis, shared by the service's replicas: the IdP's Response may reach another
 * replica than the one that sent the AuthnRequest. `take` is GETDEL (Redis 6.2+), so a Response
 * replayed to two replicas at once still logs in once.
 */
export class RedisRequestIdStore implements SamlRequestIdStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async save(id: string, value: string, ttlMs: number): Promise<void> {
    await this.command('SET', this.prefix + id, value, 'PX', String(ttlMs));
  }

  async get(id: string): Promise<string | null> {
    const value = await this.command('GET', this.prefix + id);
    return typeof value === 'string' ? value : null;
  }

  async take(id: string): Promise<boolean> {
    return (await this.command('GETDEL', this.prefix + id)) !== null;
  }

  private command(...args: string[]): Promise<unknown> {
    return redisCommand(this.client, ...args);
  }
}
