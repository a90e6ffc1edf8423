import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenExtractor } from '../../../lib/security/token-extractor.js';

/** The pattern the extractor reads by hand, as it was written before: the reference it must agree with. */
const reference = (scheme: string) => (value: string) => new RegExp(`^${scheme} +(\\S+) *$`, 'i').exec(value)?.[1] ?? null;

describe('tokenExtractor', () => {
  const bearer = tokenExtractor('authorization', 'Bearer');
  const read = (value: unknown) => bearer({ headers: { authorization: value as string } });

  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer    ', null],
    ['Bearerabc', null],
    ['Basic abc', null],
    [' Bearer abc', null],
    ['Bearer a b', null],
    ['Bearer a\tb', null],
    ['Bearer\tabc', null],
    ['Bearer abc\t', null],
    ['Bearer abc\u00a0', null],
    ['Bearer ab\u2028c', null],
    ['Béarer abc', null],
  ])('reads %j as %j', (value, token) => {
    expect(read(value)).toBe(token);
    expect(reference('Bearer')(value)).toBe(token);
  });

  it('reads nothing from a header that is absent or not a string', () => {
    expect(read(undefined)).toBeNull();
    expect(read(['Bearer a', 'Bearer b'])).toBeNull();
  });

  it('agrees with the reference pattern on 20,000 random values of spaces, tabs, letters and the scheme', () => {
    const pieces = [' ', ' ', '\t', '\u00a0', 'Bearer', 'bEaReR', 'a', 'Z', '.', '-', 'x.y.z', '\n', 'B', 'earer'];
    for (let i = 0; i < 20_000; i++) {
      const value = Array.from({ length: randomInt(1, 8) }, () => pieces[randomInt(pieces.length)]).join('');
      expect(read(value), JSON.stringify(value)).toBe(reference('Bearer')(value));
    }
  });

  it('takes the bare value, trimmed, without a scheme', () => {
    const bare = tokenExtractor('x-access-token', null);
    expect(bare({ headers: { 'x-access-token': '  abc  ' } })).toBe('abc');
    expect(bare({ headers: { 'x-access-token': '   ' } })).toBeNull();
  });

  it('compares another scheme case-insensitively too', () => {
    const jwt = tokenExtractor('authorization', 'JWT');
    expect(jwt({ headers: { authorization: 'jwt abc' } })).toBe('abc');
    expect(jwt({ headers: { authorization: 'Bearer abc' } })).toBeNull();
  });
});
