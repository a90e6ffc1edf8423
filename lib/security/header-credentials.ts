import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { Credentials } from './credentials.js';
import { MAX_TOKEN_LENGTH, tokenHeaderNames } from './token-credentials.js';
import { TokenRefusal } from './token-refusal.js';

/** A token header's characters: visible ASCII and spaces, as in an HTTP header. */
const HEADER_TEXT = /^[\x20-\x7e]*$/;

/**
 * Credentials from a message's headers (gRPC metadata, NATS and AMQP headers, Nest's packet
 * metadata over TCP and Redis), given as name/value pairs as they arrived: only the token headers
 * (`authorization` by default), read as an HTTP header is (`Bearer <jwt>`). Names are compared
 * without case, as HTTP does; a token header present twice (`authorization` and `Authorization`,
 * or one name with two values) is ambiguous, refused. A value that is not text (a number, an
 * object), holds a control character or is longer than MAX_TOKEN_LENGTH is refused unread.
 */
export function headerCredentials(
  security: ResolvedSecurityOptions,
  pairs: Iterable<readonly [string, unknown]>,
  from: string,
): Credentials | TokenRefusal {
  const wanted = tokenHeaderNames(security);
  // Each token header's values, counted: how many there are, and the first.
  const found = new Map<string, { count: number; first: unknown }>();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (!wanted.includes(lower)) continue;
    const seen = found.get(lower) ?? { count: 0, first: undefined };
    if (Array.isArray(value)) {
      if (seen.count === 0) seen.first = value[0];
      seen.count += value.length;
    } else {
      if (seen.count === 0) seen.first = value;
      seen.count += 1;
    }
    found.set(lower, seen);
  }
  const headers: IncomingHttpHeaders = {};
  for (const [name, { count, first }] of found) {
    if (count > 1) return new TokenRefusal(`ambiguous credentials: ${count} ${name} headers`, 'ambiguous');
    const value = Buffer.isBuffer(first) ? first.toString('utf8') : first;
    if (typeof value !== 'string') return new TokenRefusal('malformed token: not a string', 'malformed');
    if (value.length > MAX_TOKEN_LENGTH) return new TokenRefusal('malformed token: too long', 'malformed');
    if (!HEADER_TEXT.test(value)) return new TokenRefusal('malformed token', 'malformed');
    headers[name] = value;
  }
  return { headers, from };
}
