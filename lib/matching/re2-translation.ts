import type { CharacterClassElement, CharacterSet, Node, Pattern } from '@eslint-community/regexpp/ast';

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

interface Context {
  unicode: boolean;
  dotAll: boolean;
  /** The highest code point (u flag) or code unit (without). */
  max: number;
}

/**
 * The pattern in RE2's syntax, with JavaScript's meaning: `.`, `\s`, `\w` and `\d` are spelt out
 * as what they match in JavaScript (RE2's `\s` is ASCII only, its `.` takes `\r`), so that a
 * pattern means the same whichever engine runs it. Throws a SyntaxError for what RE2 cannot match
 * in linear time (back-references, lookarounds) or what this translation does not carry over.
 * Case-insensitive matching is RE2's (Unicode simple case folding), which differs from JavaScript's
 * for a few characters outside ASCII (`ſ`, the Kelvin sign).
 */
export function toRe2Syntax(pattern: Pattern, flags: { ignoreCase: boolean; dotAll: boolean; unicode: boolean }): string {
  const context: Context = { unicode: flags.unicode, dotAll: flags.dotAll, max: flags.unicode ? 0x10ffff : 0xffff };
  return (flags.ignoreCase ? '(?i)' : '') + emit(pattern, context);
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
      const max = node.max === Number.POSITIVE_INFINITY ? '' : String(node.max);
      const count = node.min === node.max ? `{${node.min}}` : `{${node.min},${max}}`;
      return `(?:${emit(node.element, context)})${count}${node.greedy ? '' : '?'}`;
    }
    case 'Character':
      return charClass([[node.value, node.value]], [], false, context);
    case 'CharacterSet':
      return emitSet(node, context);
    case 'CharacterClass': {
      if (node.unicodeSets) throw new SyntaxError('set operations of the v flag are not supported here');
      const { ranges, properties } = classContents(node.elements, context);
      return charClass(ranges, properties, node.negate, context);
    }
    case 'Assertion':
      if (node.kind === 'start') return '^';
      if (node.kind === 'end') return '$';
      if (node.kind === 'word') return node.negate ? '\\B' : '\\b';
      throw new SyntaxError('lookarounds ((?=...), (?!...), (?<=...), (?<!...)) cannot be matched in linear time');
    case 'Backreference':
      throw new SyntaxError('back-references cannot be matched in linear time');
    default:
      throw new SyntaxError(`"${node.raw}" is not supported`);
  }
}

function emitSet(set: CharacterSet, context: Context): string {
  if (set.kind === 'any') return charClass(context.dotAll ? [] : LINE_TERMINATORS, [], true, context);
  if (set.kind === 'property') return charClass([], [property(set, context)], false, context);
  return charClass(escapeRanges(set.kind), [], set.negate, context);
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
 * matches (code points, or code units), so that RE2 never negates over a wider set.
 */
function charClass(ranges: Ranges, properties: string[], negate: boolean, context: Context): string {
  if (properties.length > 0) {
    // Properties exist only with the u flag, where RE2's code points are the pattern's.
    return `[${negate ? '^' : ''}${ranges.map(range).join('')}${properties.join('')}]`;
  }
  const matched = (negate ? complement(ranges, context.max) : normalise(ranges)).flatMap((r) => (context.unicode ? [r] : asUnitRanges(r)));
  // RE2 has no empty class: one that matches nothing is the complement of everything.
  if (matched.length === 0) return '[^\\x{0}-\\x{10ffff}]';
  return `[${matched.map(range).join('')}]`;
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
