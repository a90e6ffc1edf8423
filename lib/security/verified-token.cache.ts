import { LRUCache } from 'lru-cache';
import type { Auth } from '../auth/auth.js';
import { SecondSighting } from './second-sighting.js';

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

  constructor(readonly max: number) {
    this.entries = new LRUCache({ max });
    this.doorkeeper = new SecondSighting(max);
  }

  /** The Auth made of this token (its `strategy` says by which strategy), if it has not expired since. */
  get(token: string): Auth | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    // As jsonwebtoken decides expiry: whole seconds, tolerance included.
    if (Math.floor(Date.now() / 1000) >= entry.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
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

  delete(token: string): void {
    this.entries.delete(token);
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
    return evicted;
  }

  clear(): void {
    this.entries.clear();
    this.doorkeeper.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
