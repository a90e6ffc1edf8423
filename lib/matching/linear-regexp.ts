import { RegExpParser, type AST } from '@eslint-community/regexpp';
import { RE2JS } from 're2js';
import { backtracksLinearly } from './backtracking-bound.js';
import { asCodeUnits, toRe2Syntax } from './re2-translation.js';

type Pattern = AST.Pattern;

/** Which engine matches a pattern: V8's own, when its shape is proven linear, or RE2's. */
export type RegExpEngine = 'backtracking' | 're2';

const parser = new RegExpParser({ ecmaVersion: 2025 });

/**
 * A JavaScript regular expression matched against the whole value in time linear in the value,
 * whatever the pattern: patterns whose shape is proven linear for a backtracking engine run on
 * V8's RegExp (as fast as today); the others (`.*\/.*\/.*\.js`, `(a+)+`) on re2js, a port of RE2,
 * the linear-time engine the platform's Go services match the same patterns with. Both see the
 * pattern with JavaScript's meaning. What RE2 cannot match in linear time (back-references,
 * lookarounds) throws a SyntaxError, as does the `m` flag (a pattern matches the whole value).
 */
export class LinearRegExp {
  readonly engine: RegExpEngine;
  readonly test: (value: string) => boolean;

  constructor(
    /** The pattern as given, unanchored. */
    readonly source: string,
    readonly flags = '',
  ) {
    const { native, ast } = parseAnchored(source, flags);
    if (backtracksLinearly(ast)) {
      this.engine = 'backtracking';
      this.test = (value) => native.test(value);
    } else {
      this.engine = 're2';
      this.test = re2Matcher(ast, native.flags);
    }
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}

/** The pattern on RE2, whatever its shape (LinearRegExp uses it for those not proven linear). */
export function re2Matcher(ast: Pattern, flags: string): (value: string) => boolean {
  const source = toRe2Syntax(ast, flags);
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(source);
  } catch (error) {
    throw new SyntaxError(`cannot be matched in linear time: ${(error as Error).message}`);
  }
  return /[uv]/.test(flags) ? (value) => re2.testExact(value) : (value) => re2.testExact(asCodeUnits(value));
}

/** `^(?:source)$`, checked by V8 (the judge of what a JavaScript pattern is) and parsed. */
export function parseAnchored(source: string, flags: string): { native: RegExp; ast: Pattern } {
  const kept = [...new Set(flags.replace(/[gyd]/g, ''))].join('');
  if (/[^isuv]/.test(kept)) throw new SyntaxError(`flag "${kept.replace(/[isuv]/g, '')}" is not supported (only i, s, u, v)`);
  const anchored = `^(?:${source})$`;
  const native = new RegExp(anchored, kept);
  const ast = parser.parsePattern(anchored, 0, anchored.length, { unicode: kept.includes('u'), unicodeSets: kept.includes('v') });
  return { native, ast };
}
