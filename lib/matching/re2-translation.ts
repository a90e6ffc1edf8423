import type { AST } from '@eslint-community/regexpp';

type CharacterClassElement = AST.CharacterClassElement;
type CharacterSet = AST.CharacterSet;
type Node = AST.Node;
type Pattern = AST.Pattern;

/** Code point (or, without the u flag, code unit) ranges, inclusive, sorted and disjoint. */
type Ranges = Array<[number, number]>;

const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
const DIGITS: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
/** JavaScript's \s: WhiteSpace and LineTerminator (ECMA-262), wider than RE2's ASCII \s. */
const SPACE: Ranges = normalise([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
  [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);

/**
 * Without the u flag JavaScript matches UTF-16 code units, each half of a surrogate pair on its
 * own, while RE2 matches code points. Such patterns match the value written as code units: each
 * surrogate half as a code point of its own, in Supplementary Private Use Area-A, where no code
 * point of a value so written can be (every code point above U+FFFF having become two halves).
 */
const SURROGATES: [number, number] = [0xd800, 0xdfff];
const HALVES = 0xf0000;

/** The largest count RE2 takes in a repetition. */
const RE2_MAX_REPEAT = 1000;

interface Context {
  unicode: boolean;
  dotAll: boolean;
  /** The highest code point (u flag) or code unit (without). */
  max: number;
  /** With the i flag, the pattern's flags: classes then ask V8 about the characters that have a case. */
  ignoreCaseFlags?: string;
}

/**
 * The pattern in RE2's syntax, with JavaScript's meaning: `.`, `\s`, `\w` and `\d` are spelt out
 * as what they match in JavaScript (RE2's `\s` is ASCII only, its `.` takes `\r`), so that a
 * pattern means the same whichever engine runs it. Throws a SyntaxError for what RE2 cannot match
 * in linear time (back-references, lookarounds) or what this translation does not carry over.
 * Case-insensitive patterns are not handed to RE2's own case folding, which differs from
 * JavaScript's (`ſ`, the Kelvin sign) and folds a negated class after negating it: each class
 * (and each literal character) is spelt out as the set of characters it matches, the characters
 * that have a case being asked of V8 itself.
 */
export function toRe2Syntax(pattern: Pattern, flags: string): string {
  const unicode = /[uv]/.test(flags);
  const context: Context = {
    unicode,
    dotAll: flags.includes('s'),
    max: unicode ? 0x10ffff : 0xffff,
    ignoreCaseFlags: flags.includes('i') ? flags : undefined,
  };
  return emit(pattern, context);
}

/** A value as a pattern translated without the u flag reads it (see SURROGATES). */
export function asCodeUnits(value: string): string {
  return /[\ud800-\udfff]/.test(value) ? value.replace(/[\ud800-\udfff]/g, (half) => String.fromCodePoint(HALVES + half.charCodeAt(0) - SURROGATES[0])) : value;
}

function emit(node: Node, context: Context): string {
  switch (node.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup':
      if (node.type === 'Group' && node.modifiers) throw new SyntaxError('inline modifiers (?i:...) are not supported');
      return `(?:${node.alternatives.map((alternative) => alternative.elements.map((element) => emit(element, context)).join('')).join('|')})`;
    case 'Quantifier': {
      if (node.min > RE2_MAX_REPEAT || (node.max !== Number.POSITIVE_INFINITY && node.max > RE2_MAX_REPEAT)) {
        throw new SyntaxError(`"${node.raw}": repetition counts above ${RE2_MAX_REPEAT} are not supported here (RE2's limit; write {n,} or a smaller count)`);
      }
      const max = node.max === Number.POSITIVE_INFINITY ? '' : String(node.max);
      const count = node.min === node.max ? `{${node.min}}` : `{${node.min},${max}}`;
      return `(?:${emit(node.element, context)})${count}${node.greedy ? '' : '?'}`;
    }
    case 'Character':
      return charClass([[node.value, node.value]], [], false, context, node.raw);
    case 'CharacterSet':
      return emitSet(node, context);
    case 'CharacterClass': {
      if (node.unicodeSets) throw new SyntaxError('set operations of the v flag are not supported here');
      const { ranges, properties } = classContents(node.elements, context);
      return charClass(ranges, properties, node.negate, context, node.raw);
    }
    case 'Assertion':
      if (node.kind === 'start') return '^';
      if (node.kind === 'end') return '$';
      // With i and u, JavaScript's \b counts ſ and the Kelvin sign as word characters; RE2's does not.
      if (node.kind === 'word' && context.ignoreCaseFlags && context.unicode) throw new SyntaxError('\\b with the i and u flags is not supported here');
      if (node.kind === 'word') return node.negate ? '\\B' : '\\b';
      throw new SyntaxError('lookarounds ((?=...), (?!...), (?<=...), (?<!...)) cannot be matched in linear time');
    case 'Backreference':
      throw new SyntaxError('back-references cannot be matched in linear time');
    default:
      throw new SyntaxError(`"${node.raw}" is not supported`);
  }
}

function emitSet(set: CharacterSet, context: Context): string {
  if (set.kind === 'any') return charClass(context.dotAll ? [] : LINE_TERMINATORS, [], true, { ...context, ignoreCaseFlags: undefined });
  if (set.kind === 'property') return charClass([], [property(set, context)], false, context, set.raw);
  return charClass(escapeRanges(set.kind), [], set.negate, context, set.raw);
}

function classContents(elements: CharacterClassElement[], context: Context): { ranges: Ranges; properties: string[] } {
  const ranges: Ranges = [];
  const properties: string[] = [];
  for (const element of elements) {
    if (element.type === 'Character') ranges.push([element.value, element.value]);
    else if (element.type === 'CharacterClassRange') ranges.push([element.min.value, element.max.value]);
    else if (element.type === 'CharacterSet' && element.kind === 'property') properties.push(property(element, context));
    else if (element.type === 'CharacterSet') {
      const own = escapeRanges(element.kind);
      ranges.push(...(element.negate ? complement(own, context.max) : own));
    } else throw new SyntaxError(`"${element.raw}" is not supported in a class here`);
  }
  return { ranges: normalise(ranges), properties };
}

function escapeRanges(kind: 'digit' | 'space' | 'word'): Ranges {
  return kind === 'digit' ? DIGITS : kind === 'space' ? SPACE : WORD;
}

/**
 * A class of the ranges and `\p{...}` items. Negation is worked out here, within what the pattern
 * matches (code points, or code units), so that RE2 never negates over a wider set. With the i
 * flag, the characters that have a case match as V8 says `raw` matches them.
 */
function charClass(ranges: Ranges, properties: string[], negate: boolean, context: Context, raw?: string): string {
  if (properties.length > 0) {
    if (context.ignoreCaseFlags) throw new SyntaxError('\\p{...} with the i flag is not supported here');
    // Properties exist only with the u flag, where RE2's code points are the pattern's.
    return `[${negate ? '^' : ''}${ranges.map(range).join('')}${properties.join('')}]`;
  }
  let own = negate ? complement(ranges, context.max) : normalise(ranges);
  if (context.ignoreCaseFlags && raw !== undefined) own = caseInsensitive(own, raw, context);
  const matched = own.flatMap((r) => (context.unicode ? [r] : asUnitRanges(r)));
  // RE2 has no empty class: one that matches nothing is the complement of everything.
  if (matched.length === 0) return '[^\\x{0}-\\x{10ffff}]';
  return `[${matched.map(range).join('')}]`;
}

/** Characters that have a case: of each, its upper or lower case is another string. */
const casedCharacters: Partial<Record<'units' | 'points', number[]>> = {};

function cased(unicode: boolean): readonly number[] {
  const kind = unicode ? 'points' : 'units';
  let list = casedCharacters[kind];
  if (!list) {
    list = [];
    // Every character with a case is below U+20000 (the highest, Adlam, ends at U+1E943).
    for (let point = 0; point <= (unicode ? 0x1ffff : 0xffff); point++) {
      if (point >= SURROGATES[0] && point <= SURROGATES[1]) continue;
      const char = String.fromCodePoint(point);
      if (char.toLowerCase() !== char || char.toUpperCase() !== char) list.push(point);
    }
    casedCharacters[kind] = list;
  }
  return list;
}

const caselessAnswers = new Map<string, number[]>();

/**
 * `own` (what the class matches case-sensitively) with its characters that have a case replaced by
 * those V8 matches `raw` against, under the pattern's flags: case-insensitivity only ever concerns
 * characters that have a case, and V8 is the judge of what a JavaScript pattern matches.
 */
function caseInsensitive(own: Ranges, raw: string, context: Context): Ranges {
  const key = `${context.ignoreCaseFlags}/${raw}`;
  let answered = caselessAnswers.get(key);
  if (!answered) {
    const v8 = new RegExp(`^(?:${raw})$`, context.ignoreCaseFlags);
    answered = cased(context.unicode).filter((point) => v8.test(String.fromCodePoint(point)));
    // Letters repeat across patterns and inside them; classes come from the code and configs, not requests.
    caselessAnswers.set(key, answered);
  }
  const points = cased(context.unicode);
  const result: Ranges = [];
  let next = 0;
  for (const [from, to] of own) {
    // Each range without the cased points inside it.
    let start = from;
    while (next < points.length && points[next]! < from) next++;
    for (; next < points.length && points[next]! <= to; next++) {
      if (points[next]! > start) result.push([start, points[next]! - 1]);
      start = points[next]! + 1;
    }
    if (start <= to) result.push([start, to]);
  }
  for (const point of answered) result.push([point, point]);
  return normalise(result);
}

/** Code unit ranges, their surrogate halves moved where the value's halves are (see SURROGATES). */
function asUnitRanges([from, to]: [number, number]): Ranges {
  const [low, high] = SURROGATES;
  const parts: Ranges = [];
  if (from < low) parts.push([from, Math.min(to, low - 1)]);
  if (to >= low && from <= high) parts.push([HALVES + Math.max(from, low) - low, HALVES + Math.min(to, high) - low]);
  if (to > high) parts.push([Math.max(from, high + 1), to]);
  return parts;
}

/**
 * `\p{...}` as RE2 spells it: general categories by their short names (`L`, `Lu`) and scripts by
 * name (`Greek`); others are not carried over.
 */
function property(set: CharacterSet & { kind: 'property' }, context: Context): string {
  if (set.strings) throw new SyntaxError(`"${set.raw}" (a property of strings) is not supported here`);
  if (!context.unicode) throw new SyntaxError(`"${set.raw}" needs the u flag`);
  const name = set.key === 'General_Category' && /^[A-Z][a-z]?$/.test(set.value ?? '') ? set.value
    : set.key === 'Script' ? set.value
      : set.value === null && /^[A-Z][a-z]?$/.test(set.key) ? set.key
        : undefined;
  if (!name) throw new SyntaxError(`"${set.raw}" is not supported here: use a general category's short name (\\p{Lu}) or \\p{Script=...}`);
  return `\\${set.negate ? 'P' : 'p'}{${name}}`;
}

function range([from, to]: [number, number]): string {
  const point = (value: number) => `\\x{${value.toString(16)}}`;
  return from === to ? point(from) : `${point(from)}-${point(to)}`;
}

function normalise(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Ranges = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

function complement(ranges: Ranges, max: number): Ranges {
  const result: Ranges = [];
  let next = 0;
  for (const [from, to] of normalise(ranges)) {
    if (from > next) result.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= max) result.push([next, max]);
  return result;
}
