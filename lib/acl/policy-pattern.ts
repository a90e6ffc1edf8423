import { LinearRegExp } from '../matching/linear-regexp.js';

/**
 * A ladon-style pattern: literal text with `<regex>` parts, matched against the whole value, in
 * time linear in the value whatever the parts (see LinearRegExp). `/todo/<[0-9]+>` matches
 * `/todo/42`; a pattern without `<` is compared as it is.
 */
export class PolicyPattern {
  /** The literal text before the first regex part: a cheap test before the regex runs. */
  readonly prefix: string;
  private readonly literal?: string;
  private readonly regex?: LinearRegExp;

  constructor(readonly source: string) {
    const parts = splitPattern(source);
    if (parts.length === 1 && !parts[0]!.isRegex) {
      this.literal = source;
      this.prefix = source;
      return;
    }
    this.prefix = parts[0]!.isRegex ? '' : parts[0]!.text;
    // Each part must stand as a regex of its own: `<a)|(b>` would otherwise break the anchoring.
    for (const part of parts) if (part.isRegex) new RegExp(part.text);
    const body = parts.map((part) => (part.isRegex ? `(?:${part.text})` : escapeRegExp(part.text))).join('');
    this.regex = new LinearRegExp(body);
  }

  get isLiteral(): boolean {
    return this.literal !== undefined;
  }

  test(value: string): boolean {
    if (this.literal !== undefined) return value === this.literal;
    return value.startsWith(this.prefix) && this.regex!.test(value);
  }
}

/** Splits at `<` and `>`, counting nested pairs as ladon does; throws on unbalanced delimiters. */
function splitPattern(source: string): Array<{ text: string; isRegex: boolean }> {
  const parts: Array<{ text: string; isRegex: boolean }> = [];
  let depth = 0;
  let current = '';
  for (const char of source) {
    if (char === '<') {
      if (depth === 0) {
        if (current) parts.push({ text: current, isRegex: false });
        current = '';
      } else current += char;
      depth++;
    } else if (char === '>' && depth > 0) {
      depth--;
      if (depth === 0) {
        parts.push({ text: current, isRegex: true });
        current = '';
      } else current += char;
    } else current += char;
  }
  if (depth !== 0) throw new SyntaxError(`unbalanced "<" in "${source}"`);
  if (current || parts.length === 0) parts.push({ text: current, isRegex: false });
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
