import { LRUCache } from 'lru-cache';
import type { Auth } from '../auth/auth.js';
import type { CacheEvictionReason } from '../telemetry/telemetry-names.js';
import { SecondSighting } from './second-sighting.js';

/** What telemetry hears of the cache: each look-up, and entries dropped before their time. */
export interface TokenCacheEvents {
  lookup(found: boolean): void;
  evicted(reason: CacheEvictionReason, count: number): void;
}

interface CachedAuth {
  auth: Auth;
  /** Epoch seconds from which the token counts as expired (exp plus the clock tolerance). */
  expiresAt: number;
}

/**
 * Tokens that a strategy fully verified (signature, claims), by the whole token string, so that
 * a token seen again skips the verification. Admitted on their second verification (`offer`), so
 * that tokens seen once never displace the ones that come back; bounded (LRU); the expiry is
 * checked on every hit; flushed whenever the keys change.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, CachedAuth>;
  private readonly doorkeeper: SecondSighting;

  constructor(
    readonly max: number,
    private readonly events?: TokenCacheEvents,
  ) {
    this.entries = new LRUCache<string, CachedAuth>({
      max,
      ...(events && { dispose: (_entry: CachedAuth, _token: string, reason: LRUCache.DisposeReason) => reason === 'evict' && events.evicted('capacity', 1) }),
    });
    this.doorkeeper = new SecondSighting(max);
  }

  /** The Auth made of this token (its `strategy` says by which strategy), if it has not expired since. */
  get(token: string): Auth | undefined {
    const entry = this.entries.get(token);
    if (!entry) {
      this.events?.lookup(false);
      return undefined;
    }
    // As jsonwebtoken decides expiry: whole seconds, tolerance included.
    if (Math.floor(Date.now() / 1000) >= entry.expiresAt) {
      this.entries.delete(token);
      this.events?.evicted('expired', 1);
      this.events?.lookup(false);
      return undefined;
    }
    this.events?.lookup(true);
    return entry.auth;
  }

  /** A token that was just fully verified: kept if it was verified once before (or `set` now). */
  offer(token: string, auth: Auth, clockTolerance: number): void {
    if (this.doorkeeper.seenBefore(token)) this.set(token, auth, clockTolerance);
  }

  /** Only for a token that was fully verified: kept at once. */
  set(token: string, auth: Auth, clockTolerance: number): void {
    const exp = auth.claims.exp;
    this.entries.set(token, { auth, expiresAt: typeof exp === 'number' ? exp + clockTolerance : Number.POSITIVE_INFINITY });
  }

  /** Drops a token that was revoked. */
  delete(token: string): void {
    if (this.entries.delete(token)) this.events?.evicted('revoked', 1);
  }

  /** Drops every entry whose Auth matches (a revoked token or user): one pass over the entries. */
  evict(matches: (auth: Auth) => boolean): number {
    let evicted = 0;
    for (const [token, entry] of this.entries.entries()) {
      if (matches(entry.auth)) {
        this.entries.delete(token);
        evicted++;
      }
    }
    this.events?.evicted('revoked', evicted);
    return evicted;
  }

  /** Forgets every token: the keys changed. */
  clear(): void {
    this.events?.evicted('keys_changed', this.entries.size);
    this.entries.clear();
    this.doorkeeper.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
