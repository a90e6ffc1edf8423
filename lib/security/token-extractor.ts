import type { IncomingHttpHeaders } from 'node:http';

export type TokenExtractor = (request: { headers: IncomingHttpHeaders }) => string | null;

const SPACE = 0x20;
const WHITE_SPACE = /\s/;

/**
 * Reads `<scheme> <token>` (the scheme compared case-insensitively, spaces around the token) or,
 * with no scheme, the bare value: what `^<scheme> +(\S+) *$` matches, read by hand, as this runs
 * several times per call on a token of a kilobyte.
 */
export function tokenExtractor(header: string, scheme: string | null): TokenExtractor {
  const lowerScheme = scheme?.toLowerCase();
  // The chain reads one header several times per call (each strategy, the cache, the relay):
  // the last value read, and its token, answer the next read of the same value.
  let lastValue: string | undefined;
  let lastToken: string | null = null;
  return (request) => {
    const value = request.headers[header];
    if (typeof value !== 'string') return null;
    if (value === lastValue) return lastToken;
    lastToken = read(value);
    lastValue = value;
    return lastToken;
  };

  function read(value: string): string | null {
    if (lowerScheme === undefined) return value.trim() || null;
    const length = lowerScheme.length;
    if (value.charCodeAt(length) !== SPACE || value.slice(0, length).toLowerCase() !== lowerScheme) return null;
    let start = length;
    while (value.charCodeAt(start) === SPACE) start++;
    let end = value.length;
    while (end > start && value.charCodeAt(end - 1) === SPACE) end--;
    if (start === end) return null;
    const token = value.slice(start, end);
    return WHITE_SPACE.test(token) ? null : token;
  }
}
