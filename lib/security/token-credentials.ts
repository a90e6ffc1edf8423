import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { Credentials } from './credentials.js';
import { TokenRefusal } from './token-refusal.js';

/**
 * Longer than any token the platform issues. A token outside an HTTP header (a socket.io
 * handshake, graphql-ws' connectionParams) has no 16 KiB header limit of Node's to stop it, so it
 * is refused here, unread, before a megabyte of base64 is decoded and parsed.
 */
export const MAX_TOKEN_LENGTH = 16_384;

/** A token's characters: visible ASCII and spaces (between a scheme and the token), nothing else. */
const TOKEN_TEXT = /^[\x20-\x7e]*$/;

/** The headers the token strategies read their tokens from (`authorization` by default). */
export function tokenHeaderNames(security: ResolvedSecurityOptions): string[] {
  return [...new Set([security.jwt?.header, security.oauth2?.header].filter((header): header is string => header !== undefined))];
}

/**
 * Credentials made of a token given outside an HTTP header (socket.io's `auth.token`, graphql-ws'
 * `connectionParams.authorization`): the token in each strategy's header, with the strategy's
 * scheme unless it carries one already (`Bearer <jwt>` and `<jwt>` both do). Only token headers:
 * no cookie, so no SAML session, ever reaches the chain this way. A value that is not a string,
 * holds a control character or is longer than MAX_TOKEN_LENGTH is refused as it is.
 */
export function tokenCredentials(security: ResolvedSecurityOptions, token: unknown, from: string): Credentials | TokenRefusal {
  if (typeof token !== 'string') return new TokenRefusal('malformed token: not a string', 'malformed');
  if (token.length > MAX_TOKEN_LENGTH) return new TokenRefusal('malformed token: too long', 'malformed');
  if (!TOKEN_TEXT.test(token)) return new TokenRefusal('malformed token', 'malformed');
  const headers: IncomingHttpHeaders = {};
  if (token.trim() === '') return { headers, from };
  for (const strategy of [security.jwt, security.oauth2]) {
    if (!strategy || headers[strategy.header] !== undefined) continue;
    const scheme = strategy.scheme;
    const hasScheme = scheme !== null && token.slice(0, scheme.length + 1).toLowerCase() === `${scheme.toLowerCase()} `;
    headers[strategy.header] = scheme === null || hasScheme ? token : `${scheme} ${token}`;
  }
  return { headers, from };
}

/** An HTTP request as Node parsed it: `rawHeaders` still holds every copy of a repeated header. */
export interface UpgradeRequest {
  headers: IncomingHttpHeaders;
  rawHeaders?: readonly string[];
}

/**
 * Credentials from the token headers of a WebSocket upgrade request, and only those: a cookie is
 * not taken (a browser sends it with a cross-site WebSocket too, so a session cookie would let
 * any page open an authenticated socket). A token header sent twice is ambiguous (Node keeps the
 * first, another hop may keep the last): refused.
 */
export function upgradeCredentials(security: ResolvedSecurityOptions, request: UpgradeRequest, from: string): Credentials | TokenRefusal {
  const repeated = repeatedTokenHeader(security, request);
  if (repeated) return repeated;
  const headers: IncomingHttpHeaders = {};
  for (const name of tokenHeaderNames(security)) {
    const value = request.headers[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH) return new TokenRefusal('malformed token', 'malformed');
    headers[name] = value;
  }
  return { headers, from };
}

/**
 * A token header an HTTP request carries more than once, in any spelling, as a refusal: Node
 * keeps the first copy, a proxy or another framework may keep the last, so the request is
 * ambiguous. Undefined when each token header comes once at most (or rawHeaders is unknown).
 */
export function repeatedTokenHeader(security: ResolvedSecurityOptions, request: UpgradeRequest): TokenRefusal | undefined {
  if (!request.rawHeaders) return undefined;
  for (const name of tokenHeaderNames(security)) {
    const copies = countHeader(request.rawHeaders, name);
    if (copies > 1) return new TokenRefusal(`ambiguous credentials: ${copies} ${name} headers`, 'ambiguous');
  }
  return undefined;
}

/** The raw headers of a request as either adapter hands it: Express' IncomingMessage, or Fastify's request (`raw`). */
export function rawHeadersOf(request: { rawHeaders?: unknown; raw?: { rawHeaders?: unknown } }): readonly string[] | undefined {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  return Array.isArray(raw) ? (raw as string[]) : undefined;
}

function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) count++;
  return count;
}
