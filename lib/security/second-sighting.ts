/**
 * The cache's doorkeeper: which tokens were seen (verified) once already, so that only a token that
 * comes back is admitted to the cache. A token seen once, the common case of a flood of fresh ones,
 * then costs no cache entry (an `Auth` of about 1 KB kept and evicted again), only a number here.
 *
 * Tokens are remembered by a 30-bit hash of their last characters (the signature's): a collision
 * only admits a verified token one sighting early. Two generations of `capacity` each: when the
 * newer is full, the older is forgotten, so that the memory is bounded and a token is remembered
 * for at least the next `capacity` sightings of others.
 */
export class SecondSighting {
  private current = new Set<number>();
  private previous = new Set<number>();

  constructor(private readonly capacity: number) {}

  /** Whether `token` was seen before; it is remembered as seen from now on. */
  seenBefore(token: string): boolean {
    const hash = signatureHash(token);
    if (this.current.has(hash) || this.previous.has(hash)) return true;
    this.current.add(hash);
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Set();
    }
    return false;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}

/** FNV-1a over the last 24 characters, cut to 30 bits so that V8 keeps it a small integer. */
function signatureHash(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 24); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash & 0x3fffffff;
}
