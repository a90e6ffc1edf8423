/** The last second a Uint32 slot holds. */
const MAX_UNTIL = 0xffff_ffff;

/**
 * A set of 64-bit fingerprints of strings (token ids), each with the epoch second it may be
 * forgotten at: open addressing over typed arrays, 12 bytes a slot, so that a million revoked
 * tokens take about 25 MB and no object per entry (a Set of the ids would take about 90 MB).
 * A false match (two ids of one fingerprint: about n / 2^64 per look-up) can only refuse a token,
 * never accept one.
 */
export class FingerprintTable {
  private high: Uint32Array;
  private low: Uint32Array;
  /** Epoch seconds the entry may be forgotten at; 0 marks an empty slot. */
  private until: Uint32Array;
  private count = 0;

  constructor(capacity = 1024) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, capacity)));
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
    this.until = new Uint32Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds (its typed arrays). */
  get bytes(): number {
    return this.high.byteLength + this.low.byteLength + this.until.byteLength;
  }

  has(id: string, now = epochSeconds()): boolean {
    const [high, low] = fingerprint(id);
    const slot = this.find(high, low);
    return slot >= 0 && this.until[slot]! > now;
  }

  /** Adds the id until `until` (epoch seconds); an entry kept longer stays as long. */
  add(id: string, until: number, now = epochSeconds()): void {
    if (until <= now) return;
    // A Uint32 slot: a later second (2106 on) would wrap to the past, or to 0 (an empty slot).
    until = Math.min(Math.ceil(until), MAX_UNTIL);
    const [high, low] = fingerprint(id);
    const existing = this.find(high, low);
    if (existing >= 0) {
      this.until[existing] = Math.max(this.until[existing]!, until);
      return;
    }
    // Kept at most 3/4 full: probes stay short.
    if ((this.count + 1) * 4 > this.until.length * 3) this.rebuild(this.until.length * 2);
    this.place(high, low, until);
    this.count++;
  }

  /** Forgets the entries whose time has come; shrinks the table when it is mostly empty. */
  sweep(now = epochSeconds()): number {
    let live = 0;
    for (let slot = 0; slot < this.until.length; slot++) if (this.until[slot]! > now) live++;
    const forgotten = this.count - live;
    if (forgotten === 0) return 0;
    let slots = this.until.length;
    while (slots > 1024 && live * 8 < slots) slots /= 2;
    this.rebuild(slots, now);
    return forgotten;
  }

  private find(high: number, low: number): number {
    const mask = this.until.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.until[slot] === 0) return -1;
      if (this.low[slot] === low && this.high[slot] === high) return slot;
    }
  }

  private place(high: number, low: number, until: number): void {
    const mask = this.until.length - 1;
    let slot = low & mask;
    while (this.until[slot] !== 0) slot = (slot + 1) & mask;
    this.high[slot] = high;
    this.low[slot] = low;
    this.until[slot] = until;
  }

  /** The live entries in a table of `slots` slots (linear probing deletes by rebuilding). */
  private rebuild(slots: number, now = 0): void {
    const { high, low, until } = this;
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
    this.until = new Uint32Array(slots);
    this.count = 0;
    for (let slot = 0; slot < until.length; slot++) {
      if (until[slot]! > now) {
        this.place(high[slot]!, low[slot]!, until[slot]!);
        this.count++;
      }
    }
  }
}

export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Two 32-bit halves of a string's fingerprint (cyrb53's mixing, kept at 64 bits). Not a
 * cryptographic hash: ids are chosen by the issuer, and a collision refuses, never admits.
 */
export function fingerprint(id: string): [high: number, low: number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}
