import type { IncomingHttpHeaders } from 'node:http';

export type TokenExtractor = (request: { headers: IncomingHttpHeaders }) => string | null;

/** Reads `<scheme> <token>` (scheme compared case-insensitively) or, with no scheme, the bare value. */
export function tokenExtractor(header: string, scheme: string | null): TokenExtractor {
  const pattern = scheme === null ? null : new RegExp(`^${escapeRegExp(scheme)} +(\\S+) *$`, 'i');
  return (request) => {
    const value = request.headers[header];
    if (typeof value !== 'string') return null;
    if (pattern === null) return value.trim() || null;
    return pattern.exec(value)?.[1] ?? null;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
