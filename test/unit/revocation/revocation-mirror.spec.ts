import { describe, expect, it } from 'vitest';
import { Auth } from '../../../lib/auth/auth.js';
import { FingerprintTable } from '../../../lib/revocation/fingerprint-table.js';
import { decodeRevocation, encodeRevocation } from '../../../lib/revocation/redis-revocation-store.js';
import { RevocationMirror } from '../../../lib/revocation/revocation-mirror.js';

const NOW = 1_800_000_000;
const auth = (userId: string, claims: Record<string, unknown>) => Object.assign(Object.create(Auth.prototype) as Auth, { userId, claims });

describe('FingerprintTable', () => {
  it('holds ids until their time, keeps the longer time, and forgets on sweep', () => {
    const table = new FingerprintTable(16);
    table.add('a', NOW + 10, NOW);
    table.add('a', NOW + 5, NOW);
    table.add('past', NOW, NOW);
    expect(table.has('a', NOW + 9)).toBe(true);
    expect(table.has('a', NOW + 10)).toBe(false);
    expect(table.has('b', NOW)).toBe(false);
    expect(table.has('past', NOW - 1)).toBe(false);
    expect(table.size).toBe(1);
    expect(table.sweep(NOW + 10)).toBe(1);
    expect(table.size).toBe(0);
  });

  it('keeps an id whose time is past what a Uint32 holds (2106 on), and the ids probed after it', () => {
    const table = new FingerprintTable(16);
    for (let i = 0; i < 10; i++) table.add(`near-${i}`, NOW + 60, NOW);
    for (const until of [2 ** 32, 2 ** 32 + 100, 9_999_999_999_999]) table.add(`far-${until}`, until, NOW);
    table.add('near-0', 2 ** 32, NOW);
    for (const until of [2 ** 32, 2 ** 32 + 100, 9_999_999_999_999]) expect(table.has(`far-${until}`, NOW), String(until)).toBe(true);
    for (let i = 0; i < 10; i++) expect(table.has(`near-${i}`, NOW), `near-${i}`).toBe(true);
  });

  it('grows past its capacity, shrinks when swept, and loses nothing live', () => {
    const table = new FingerprintTable(16);
    for (let i = 0; i < 50_000; i++) table.add(`jti-${i}`, NOW + (i % 2 === 0 ? 10 : 100), NOW);
    expect(table.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(table.has(`jti-${i}`, NOW)).toBe(true);
    const grown = table.bytes;
    table.sweep(NOW + 50);
    expect(table.size).toBe(25_000);
    for (let i = 1; i < 50_000; i += 2) expect(table.has(`jti-${i}`, NOW + 50)).toBe(true);
    for (let i = 0; i < 1_000; i += 2) expect(table.has(`jti-${i}`, NOW)).toBe(false);
    table.sweep(NOW + 200);
    expect(table.size).toBe(0);
    expect(table.bytes).toBeLessThan(grown);
  });
});

describe('RevocationMirror', () => {
  const mirror = new RevocationMirror(30 * 86_400);
  mirror.add({ kind: 'token', id: 'stolen', until: NOW + 60 }, NOW);
  mirror.add({ kind: 'subject', id: 'user-1', before: NOW - 100, until: NOW + 86_400 }, NOW);

  it('refuses a revoked jti, whoever holds it, until its time', () => {
    expect(mirror.revokes(auth('someone', { jti: 'stolen', iat: NOW }), NOW)).toBe(true);
    expect(mirror.revokes(auth('someone', { jti: 'stolen', iat: NOW }), NOW + 60)).toBe(false);
    expect(mirror.revokes(auth('someone', { jti: 'other', iat: NOW }), NOW)).toBe(false);
    expect(mirror.revokes(auth('someone', { jti: 42, iat: NOW }), NOW)).toBe(false);
  });

  it('refuses a subject\'s tokens issued up to the instant\'s second, by iat, else exp less the lifetime', () => {
    expect(mirror.revokes(auth('user-1', { iat: NOW - 101 }), NOW)).toBe(true);
    expect(mirror.revokes(auth('user-1', { iat: NOW - 100 }), NOW)).toBe(true);
    expect(mirror.revokes(auth('user-1', { iat: NOW - 99 }), NOW)).toBe(false);
    expect(mirror.revokes(auth('user-1', { exp: NOW + 3600 }), NOW)).toBe(true);
    expect(mirror.revokes(auth('user-1', { exp: NOW + 31 * 86_400 }), NOW)).toBe(false);
    expect(mirror.revokes(auth('user-1', {}), NOW)).toBe(true);
    expect(mirror.revokes(auth('user-2', { iat: NOW - 1000 }), NOW)).toBe(false);
  });

  it('keeps the later instant of two revocations of one subject', () => {
    const twice = new RevocationMirror(3600);
    twice.add({ kind: 'subject', id: 'u', before: NOW - 10, until: NOW + 100 }, NOW);
    twice.add({ kind: 'subject', id: 'u', before: NOW - 50, until: NOW + 50 }, NOW);
    expect(twice.revokes(auth('u', { iat: NOW - 20 }), NOW)).toBe(true);
    twice.sweep(NOW + 100);
    expect(twice.size).toEqual({ tokens: 0, subjects: 0 });
  });
});

describe('published revocations', () => {
  it('round-trip, and anything else is ignored', () => {
    for (const revocation of [{ kind: 'token', id: 'j', until: 5 }, { kind: 'subject', id: 'u', before: 1, until: 5 }] as const) {
      expect(decodeRevocation(encodeRevocation(revocation))).toEqual(revocation);
    }
    for (const junk of ['', 'null', '{', '[]', '{"k":"t","id":1,"u":5}', '{"k":"t","id":"j","u":"5"}', '{"k":"s","id":"u","u":5}', '{"k":"x","id":"j","u":5}', '{"k":"t","id":"j","u":1e999}']) {
      expect(decodeRevocation(junk)).toBeUndefined();
    }
  });
});

describe('RevocationMirror, by subject', () => {
  it('refuses a token of the revocation\'s second, a fractional iat included, and accepts one of the next second', () => {
    const mirror = new RevocationMirror(3600);
    mirror.add({ kind: 'subject', id: 'u', before: NOW, until: NOW + 3600 }, NOW);
    expect(mirror.revokes(auth('u', { iat: NOW }), NOW)).toBe(true);
    expect(mirror.revokes(auth('u', { iat: NOW + 0.5 }), NOW)).toBe(true);
    expect(mirror.revokes(auth('u', { iat: NOW + 1 }), NOW)).toBe(false);
  });
});
