import { targetPath } from './request-target.js';

/**
 * The rules of the request firewall, each of which an option relaxes (`security.firewall`). What
 * they refuse is what routers, proxies and file systems read in different ways, so that a security
 * decision made on one reading could be escaped through another.
 */
export interface FirewallRules {
  /** `%2F`: one segment to the router, two to whatever decodes the path later. */
  allowEncodedSlash: boolean;
  /** `\` and `%5C`: a separator on Windows and to WHATWG URL parsers, not to the routers. */
  allowBackslash: boolean;
  /** `%2E`: dot segments that survive normalisation (`/%2e%2e/`) and come back once decoded. */
  allowEncodedPeriod: boolean;
  /** `%25`: double encoding (`%252F` becomes `%2F`, then `/`, in two decoding steps). */
  allowEncodedPercent: boolean;
  /** `/./` and `/../` (raw, or encoded where that is allowed): the path one component resolves is not another's. */
  allowDotSegments: boolean;
  /** `//`: routers and proxies merge, keep or reject empty segments differently. */
  allowEmptySegments: boolean;
  /** `;` and `%3B`: path parameters (`/admin;x=1`) to servlet containers and some proxies, text to Node's routers. */
  allowSemicolon: boolean;
  /** `%00`-`%1F` and `%7F` (NUL, CR, LF...): truncation and log or header injection once decoded. */
  allowControlCharacters: boolean;
}

export type FirewallRule = keyof FirewallRules | 'malformed' | 'maxPathLength';

export interface FirewallRefusal {
  status: 400 | 414;
  /** The rule that refused (the option that would relax it, for those that can be). */
  rule: FirewallRule;
  message: string;
}

/** Everything a rule may refuse; a path without any of it passes at the cost of one test. */
const SUSPICIOUS = /[%;\\#\x00-\x1f\x7f-\uffff]|\/\/|\/\.\.?(?:\/|$)/;

/**
 * Judges a request target (`request.url` as Node's HTTP parser read it) before anything else
 * reads it. Origin form (`/a/b?q`) and absolute form (`http://host/a/b?q`) are taken; the query is
 * not judged (routers never route on it). Refused with 400, whatever the options: a target that is
 * neither form (`*`, `*users`), a `#` (no part of a request target), malformed percent-encoding
 * or an encoding of invalid UTF-8, raw bytes outside printable ASCII. 414 for a path longer than
 * `maxPathLength`.
 */
export function judgeRequestTarget(target: string, rules: FirewallRules, maxPathLength: number): FirewallRefusal | undefined {
  const path = targetPath(target);
  if (path === undefined) return refuse('malformed', 'the request target is not a path');
  if (path.length > maxPathLength) return { status: 414, rule: 'maxPathLength', message: `request refused: the path is longer than ${maxPathLength} characters` };
  if (!SUSPICIOUS.test(path)) return undefined;
  return judgeCharacters(path, rules) ?? judgeSegments(path, rules);
}

function judgeCharacters(path: string, rules: FirewallRules): FirewallRefusal | undefined {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 0x25) {
      const byte = hexByte(path, i + 1);
      if (byte === undefined) return refuse('malformed', 'malformed percent-encoding in the path');
      const refusal = judgeEncoded(byte, rules);
      if (refusal) return refusal;
      i += 2;
    } else if (code === 0x23) return refuse('malformed', 'the request target holds a "#"');
    else if (code === 0x5c && !rules.allowBackslash) return refuse('allowBackslash', 'the path holds a backslash');
    else if (code === 0x3b && !rules.allowSemicolon) return refuse('allowSemicolon', 'the path holds a ";"');
    else if (code < 0x20 || code === 0x7f) {
      if (!rules.allowControlCharacters) return refuse('allowControlCharacters', 'the path holds a control character');
    } else if (code > 0x7e) return refuse('malformed', 'the path holds a character that is not percent-encoded ASCII');
  }
  return undefined;
}

function judgeEncoded(byte: number, rules: FirewallRules): FirewallRefusal | undefined {
  if (byte === 0x2f && !rules.allowEncodedSlash) return refuse('allowEncodedSlash', 'the path holds an encoded slash (%2F)');
  if (byte === 0x5c && !rules.allowBackslash) return refuse('allowBackslash', 'the path holds an encoded backslash (%5C)');
  if (byte === 0x2e && !rules.allowEncodedPeriod) return refuse('allowEncodedPeriod', 'the path holds an encoded period (%2E)');
  if (byte === 0x25 && !rules.allowEncodedPercent) return refuse('allowEncodedPercent', 'the path holds an encoded percent (%25)');
  if (byte === 0x3b && !rules.allowSemicolon) return refuse('allowSemicolon', 'the path holds an encoded ";" (%3B)');
  if ((byte < 0x20 || byte === 0x7f) && !rules.allowControlCharacters) {
    return refuse('allowControlCharacters', 'the path holds an encoded control character');
  }
  return undefined;
}

/** Empty and dot segments, the latter also where they are spelt encoded (when that is allowed). */
function judgeSegments(path: string, rules: FirewallRules): FirewallRefusal | undefined {
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    // The first is what precedes the leading slash; the last may be empty (a trailing slash).
    if (segment === '' && i > 0 && i < segments.length - 1 && !rules.allowEmptySegments) {
      return refuse('allowEmptySegments', 'the path holds an empty segment (//)');
    }
    let decoded: string;
    try {
      decoded = segment.includes('%') ? decodeURIComponent(segment) : segment;
    } catch {
      return refuse('malformed', 'the path holds a percent-encoding of invalid UTF-8');
    }
    if ((decoded === '.' || decoded === '..') && !rules.allowDotSegments) {
      return refuse('allowDotSegments', 'the path holds a dot segment (/./ or /../)');
    }
  }
  return undefined;
}

function hexByte(text: string, at: number): number | undefined {
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high < 0 || low < 0 ? undefined : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

function refuse(rule: FirewallRule, reason: string): FirewallRefusal {
  return { status: 400, rule, message: `request refused: ${reason}` };
}
