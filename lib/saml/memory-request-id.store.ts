import { LRUCache } from 'lru-cache';
import type { SamlRequestIdStore } from '../microkubes-options.interface.js';

/**
 * Request ids in this process, each until its TTL. Bounded, since every anonymous browser request
 * to a secured page creates one: a flood evicts the oldest rather than growing without end.
 */
export class MemoryRequestIdStore implements SamlRequestIdStore {
  private readonly ids: LRUCache<string, string>;

  constructor(maxEntries = 100_000) {
    this.ids = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async save(id: string, value: string, ttlMs: number): Promise<void> {
    this.ids.set(id, value, { ttl: ttlMs });
  }

  async get(id: string): Promise<string | null> {
    return this.ids.get(id) ?? null;
  }

  async take(id: string): Promise<boolean> {
    // One event-loop turn: of two concurrent takes, only the first finds the id.
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    return true;
  }
}
