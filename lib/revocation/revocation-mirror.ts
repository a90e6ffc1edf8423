import type { Auth } from '../auth/auth.js';
import { epochSeconds, FingerprintTable } from './fingerprint-table.js';
import type { Revocation } from './redis-revocation-store.js';

/**
 * One replica's copy of the revocations, asked on every request without a round trip: the
 * revoked tokens' ids as fingerprints, the revoked subjects by user id. It only grows (an entry
 * added twice keeps the longer-lived value) until its entries' time comes, so that loading it
 * again over what it holds loses nothing that arrived meanwhile.
 */
export class RevocationMirror {
  private readonly tokens = new FingerprintTable();
  private readonly subjects = new Map<string, { before: number; until: number }>();

  /** @param maxTokenLifetime seconds: a token without `iat` counts as issued this long before its `exp`. */
  constructor(private readonly maxTokenLifetime: number) {}

  add(revocation: Revocation, now = epochSeconds()): void {
    if (revocation.until <= now) return;
    if (revocation.kind === 'token') return this.tokens.add(revocation.id, revocation.until, now);
    const held = this.subjects.get(revocation.id);
    if (held && held.until > now) {
      held.before = Math.max(held.before, revocation.before);
      held.until = Math.max(held.until, revocation.until);
    } else {
      this.subjects.set(revocation.id, { before: revocation.before, until: revocation.until });
    }
  }

  /** Whether this caller's token (or session) is refused. */
  revokes(auth: Auth, now = epochSeconds()): boolean {
    const jti = auth.claims.jti;
    if (typeof jti === 'string' && this.tokens.size > 0 && this.tokens.has(jti, now)) return true;
    if (this.subjects.size === 0) return false;
    const subject = this.subjects.get(auth.userId);
    return subject !== undefined && subject.until > now && this.issuedAt(auth) <= subject.before;
  }

  /**
   * When the token was issued, in epoch seconds: its `iat`; without one, its `exp` less the longest
   * lifetime; without either, at the beginning of time (so a subject's revocation refuses it).
   */
  issuedAt(auth: Auth): number {
    const { iat, exp } = auth.claims;
    // Whole seconds, as `before` is: a token of the revocation's second is refused.
    if (typeof iat === 'number') return Math.floor(iat);
    if (typeof exp === 'number') return exp - this.maxTokenLifetime;
    return Number.NEGATIVE_INFINITY;
  }

  /** Forgets what has run out. */
  sweep(now = epochSeconds()): void {
    this.tokens.sweep(now);
    for (const [id, subject] of this.subjects) if (subject.until <= now) this.subjects.delete(id);
  }

  get size(): { tokens: number; subjects: number } {
    return { tokens: this.tokens.size, subjects: this.subjects.size };
  }

  /** Bytes the token table takes (the subjects' map is not counted: one small object each). */
  get bytes(): number {
    return this.tokens.bytes;
  }
}
