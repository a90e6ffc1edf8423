import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Auth } from '../../../lib/auth/auth.js';
import { randomBytes } from 'node:crypto';
import { SecondSighting } from '../../../lib/security/second-sighting.js';
import { VerifiedTokenCache } from '../../../lib/security/verified-token.cache.js';

/** An epoch second well away from any boundary of the tests' own clock. */
const EXP = 2_000_000_000;
const at = (seconds: number, milliseconds = 0) => vi.setSystemTime(seconds * 1000 + milliseconds);

const auth = (userId: string, claims: Record<string, unknown> = { exp: EXP }) =>
  new Auth({ userId, username: `${userId}@example.com`, roles: ['user'], organizations: [], namespaces: [], scopes: [], strategy: 'jwt', claims });

beforeEach(() => {
  vi.useFakeTimers();
  at(EXP - 60);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('VerifiedTokenCache', () => {
  it('answers a token it holds, before its expiry, with the Auth it was given', () => {
    const cache = new VerifiedTokenCache(10);
    const ann = auth('ann');
    cache.set('token-a', ann, 0);
    expect(cache.get('token-a')).toBe(ann);
    expect(cache.get('token-b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('without clock tolerance: a hit up to the last millisecond of exp - 1, a miss from the second exp', () => {
    const cache = new VerifiedTokenCache(10);
    const ann = auth('ann');
    cache.set('token', ann, 0);
    at(EXP - 1);
    expect(cache.get('token')).toBe(ann);
    at(EXP - 1, 999);
    expect(cache.get('token')).toBe(ann);
    at(EXP);
    expect(cache.get('token')).toBeUndefined();
  });

  it('with a clock tolerance of 5 s: a hit at exp + 4, a miss from the second exp + 5', () => {
    const cache = new VerifiedTokenCache(10);
    const ann = auth('ann');
    cache.set('token', ann, 5);
    at(EXP);
    expect(cache.get('token')).toBe(ann);
    at(EXP + 4);
    expect(cache.get('token')).toBe(ann);
    at(EXP + 4, 999);
    expect(cache.get('token')).toBe(ann);
    at(EXP + 5);
    expect(cache.get('token')).toBeUndefined();
  });

  it('deletes an entry once it is found expired: it does not come back when the clock goes back', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('expiring', auth('ann'), 0);
    cache.set('lasting', auth('bob', { exp: EXP + 3600 }), 0);
    at(EXP);
    expect(cache.get('expiring')).toBeUndefined();
    expect(cache.size).toBe(1);
    at(EXP - 30);
    expect(cache.get('expiring')).toBeUndefined();
    expect(cache.get('lasting')?.userId).toBe('bob');
  });

  it('keeps a token without exp (or with a non-numeric one) until it is evicted or cleared', () => {
    const cache = new VerifiedTokenCache(10);
    const forever = auth('ann', {});
    const oddExp = auth('bob', { exp: String(EXP) });
    cache.set('no-exp', forever, 0);
    cache.set('string-exp', oddExp, 0);
    at(EXP + 10 * 365 * 24 * 3600);
    expect(cache.get('no-exp')).toBe(forever);
    expect(cache.get('string-exp')).toBe(oddExp);
  });

  it('holds at most max tokens, evicting the least recently used: a token read since stays', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', auth('a'), 0);
    cache.set('b', auth('b'), 0);
    // Reading a makes b the least recently used.
    expect(cache.get('a')?.userId).toBe('a');
    cache.set('c', auth('c'), 0);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.userId).toBe('a');
    expect(cache.get('c')?.userId).toBe('c');
    // a was read before c: it is now the least recently used, and d pushes it out.
    cache.set('d', auth('d'), 0);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.userId).toBe('c');
    expect(cache.get('d')?.userId).toBe('d');
    expect(cache.max).toBe(2);
  });

  it('forgets every token on clear()', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('a', auth('a'), 0);
    cache.set('b', auth('b', {}), 0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    cache.set('a', auth('a2'), 0);
    expect(cache.get('a')?.userId).toBe('a2');
  });

  it('admits an offered token on its second verification only, so that tokens seen once displace nothing', () => {
    const cache = new VerifiedTokenCache(3);
    const regulars = ['a', 'b', 'c'].map((name) => [`token-${name}`, auth(name)] as const);
    for (const [token, caller] of regulars) {
      cache.offer(token, caller, 0);
      expect(cache.get(token), `${token}, seen once`).toBeUndefined();
      cache.offer(token, caller, 0);
      expect(cache.get(token), `${token}, seen twice`).toBe(caller);
    }
    // A flood of tokens seen once each: the cache keeps the three that came back.
    for (let i = 0; i < 100; i++) cache.offer(`fresh-${i}`, auth(`fresh-${i}`), 0);
    expect(cache.size).toBe(3);
    for (const [token, caller] of regulars) expect(cache.get(token)).toBe(caller);
  });

  it('forgets what it saw on clear(): after a key change, a token must be verified twice again to be kept', () => {
    const cache = new VerifiedTokenCache(10);
    cache.offer('token', auth('ann'), 0);
    cache.clear();
    cache.offer('token', auth('ann'), 0);
    expect(cache.get('token')).toBeUndefined();
    cache.offer('token', auth('ann'), 0);
    expect(cache.get('token')?.userId).toBe('ann');
  });
});

describe('SecondSighting', () => {
  it('tells a token seen before, for at least the next `capacity` others, within bounded memory', () => {
    const sightings = new SecondSighting(1_000);
    const tokens = Array.from({ length: 5_000 }, () => randomBytes(300).toString('base64url'));
    expect(tokens.filter((token) => sightings.seenBefore(token)).length).toBeLessThan(5);
    // The last 1,000 are remembered whatever came before them.
    expect(tokens.slice(-1_000).every((token) => sightings.seenBefore(token))).toBe(true);
    // Two generations of at most 1,000 each: what came long before is forgotten.
    const sets = Object.values(sightings).filter((value): value is Set<number> => value instanceof Set);
    expect(sets).toHaveLength(2);
    expect(sets.every((set) => set.size <= 1_000)).toBe(true);
    expect(tokens.slice(0, 1_000).filter((token) => sightings.seenBefore(token)).length).toBeLessThan(10);
  });
});
