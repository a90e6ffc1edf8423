import { describe, expect, it } from 'vitest';
import { LinearRegExp, parseAnchored, re2Matcher } from '../../../lib/matching/linear-regexp.js';

describe('LinearRegExp', () => {
  it.each([
    ['/public/.*', 'backtracking'],
    ['(?:.+)', 'backtracking'],
    ['/x(?:ab|cd){0,2}.*', 'backtracking'],
    ['(?:a.*){2}', 're2'],
    ['(?:ab|cd){0,9}', 're2'],
    ['/todo/(?:[0-9]+)', 'backtracking'],
    ['/health(check)?', 'backtracking'],
    ['/(?:GET|POST)/x{1,3}[a-z]*', 'backtracking'],
    ['.*/public.*', 're2'],
    ['/wild/.*/.*/.*\\.js', 're2'],
    ['(a+)+', 're2'],
    ['(.*)*', 're2'],
    ['(?:a|b|c|d|e)(?:a|b|c|d)x*', 're2'],
    ['a{1,100}b*', 're2'],
    ['.*a{1000}b', 're2'],
    [`.*(?:${Array.from({ length: 16 }, (_, i) => `a{1000}${String.fromCharCode(98 + i)}`).join('|')})`, 're2'],
    [`/${'x'.repeat(300)}/.*`, 're2'],
    ['(?:ab){0,2}/.*', 'backtracking'],
  ])('%s runs on %s', (source, engine) => {
    expect(new LinearRegExp(source).engine).toBe(engine);
  });

  it('matches the whole value', () => {
    const pattern = new LinearRegExp('/a|/b');
    expect(pattern.test('/a')).toBe(true);
    expect(pattern.test('/b')).toBe(true);
    expect(pattern.test('/ab')).toBe(false);
    expect(pattern.test('x/a')).toBe(false);
    expect(new LinearRegExp('.*/x.*').test('/y/x/z')).toBe(true);
    expect(new LinearRegExp('.*/x.*').test('/y/xz')).toBe(true);
    expect(new LinearRegExp('.*/x.*').test('/yx')).toBe(false);
  });

  it('keeps the flags that make sense for a whole-value match, and refuses m', () => {
    expect(new LinearRegExp('/A.*', 'gi').test('/abc')).toBe(true);
    expect(new LinearRegExp('.*/A.*', 'i').test('/x/abc')).toBe(true);
    expect(new LinearRegExp('a.b', 's').test('a\nb')).toBe(true);
    expect(() => new LinearRegExp('/a', 'm')).toThrow('flag "m" is not supported');
  });

  it.each([
    ['(?=a)a', 'lookarounds'],
    ['(?<!a)b.*', 'lookarounds'],
    ['(a)\\1', 'back-references'],
    ['(', 'Invalid regular expression'],
    ['a{2000}.*.*', 'repetition counts above 1000 are not supported here'],
    ['.*.*[a-z]{1,1024}', 'repetition counts above 1000 are not supported here'],
  ])('refuses %s', (source, message) => {
    expect(() => new LinearRegExp(source)).toThrow(message);
  });

  it('answers adversarial inputs to adversarial patterns: 16 KB against three unbounded repetitions', () => {
    const path = `/wild/${'/'.repeat(16_000)}`;
    expect(new LinearRegExp('/wild/.*/.*/.*\\.js').test(path)).toBe(false);
    expect(new LinearRegExp('/wild/(?:.*)/(?:.*)/(?:.*)/meta').test(path)).toBe(false);
    expect(new LinearRegExp('(a+)+b').test('a'.repeat(16_000))).toBe(false);
  });
});

/**
 * RE2 runs the pattern translated into its own syntax: the translation must keep JavaScript's
 * meaning. Each pattern, forced onto RE2, against V8 on short inputs (where backtracking is cheap).
 */
describe('the RE2 translation means what JavaScript means', () => {
  const inputs = [
    '', 'a', 'A', 'ab', 'abc', 'a\nb', 'a\rb', 'a\u2028b', 'a b', 'a\u00a0b', 'a\u3000b', 'a\tb', 'a\u000bb', 'x_1', 'é', 'É', 'ü1',
    '/public/x', '/public', '/a/b/c.js', '/x/./y', '123', '12a', 'ΑΒΓ', 'αβγ', '😀', 'a😀b', '\ud83d', 'x\ude00', '\u{F0000}', 'aaa', 's', 'S', 'k', 'K', 'ſ', '\u212a', 'ß', 'ẞ', 'skip', 'SKIP', 'ſkip', 'İ', 'ı', 'ǅ', 'Ω', '\u2126', 'abc', 'ABC', '/docs/internal/x', '/docs/Internal/x', '/docs/ınternal/x', '-', ']', '\\', '^', '$',
  ];
  const patterns: Array<[string, string]> = [
    ['a.b', ''], ['a.b', 's'], ['a\\sb', ''], ['a\\Sb', ''], ['\\w+', ''], ['\\W', ''], ['\\d+', ''], ['\\D+', ''],
    ['[^a]+', ''], ['[a-c]+', ''], ['[a-c]+', 'i'], ['[^\\d\\s]+', ''], ['[\\D]', ''], ['[\\s\\w]+', ''], ['[\\]\\\\^$-]', ''],
    ['a|ab|abc', ''], ['(?:a|b)*c?', ''], ['a{2,3}', ''], ['a{2}', ''], ['a{1,}', ''], ['a+?b*?', ''], ['.*/public/.*', ''],
    ['/public', 'i'], ['[^]*', ''], ['[]', ''], ['\\bab\\b.*', ''], ['\\Bb.*', ''], ['\\p{Lu}+', 'u'], ['\\P{Ll}+', 'u'],
    ['[\\p{Script=Greek}\\d]+', 'u'], ['.', 'u'], ['..', 'u'], ['(?<name>a)b', ''], ['\\u00e9|\\x41', ''], ['\\u{1F600}', 'u'],
    ['É', 'i'], ['[é-ü]+.*', ''], ['\\cJ', ''], ['\\0', ''], ['[\\b]', ''],
    ['[\\ud800-\\udbff].', ''], ['[^\\ud800-\\udfff]+', ''], ['😀', ''], ['a..b', ''], ['.+', ''], ['.+', 'u'], ['[^x]{2}', ''],
    // Case-insensitive: negated classes and escapes, literal letters, ranges, under i and i+u.
    ['[^a-z]+', 'i'], ['[^a-z]+', 'iu'], ['\\W+', 'i'], ['\\W+', 'iu'], ['\\w+', 'i'], ['\\w+', 'iu'], ['[\\W\\d]+', 'i'],
    ['[^\\W]+', 'iu'], ['s', 'i'], ['s', 'iu'], ['k+', 'i'], ['k+', 'iu'], ['ß', 'iu'], ['[a-z]+', 'iu'], ['[^k]', 'iu'],
    ['\\/docs\\/(?:[^i][^/]*|i[^n][^/]*)\\/.*', 'i'], ['[^s-t]+', 'i'], ['\\S+', 'i'], ['\\D+', 'iu'], ['ω', 'iu'], ['[ǅ]', 'i'], ['i', 'iu'],
  ];
  it.each(patterns)('%s (flags "%s")', (source, flags) => {
    const { native, ast } = parseAnchored(source, flags);
    const re2 = re2Matcher(ast, native.flags);
    for (const input of inputs) expect(re2(input), `${JSON.stringify(input)}`).toBe(native.test(input));
  });
});
