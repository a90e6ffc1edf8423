import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { quote } from './challenge-quote.js';
import type { TokenRefusal } from './token-refusal.js';

/**
 * The RFC 6750 `WWW-Authenticate` challenge for a refused token (an HTTP 401/403, a WebSocket
 * upgrade answered 401): the realm, and an error code only when a token was presented.
 */
export function bearerChallenge(security: ResolvedSecurityOptions, refusal: Pick<TokenRefusal, 'kind' | 'message' | 'scopes'>): string {
  const scheme = security.jwt?.scheme ?? security.oauth2?.scheme ?? 'Bearer';
  const parts = [`${scheme} realm="${quote(security.realm)}"`];
  if (refusal.kind === 'invalid' || refusal.kind === 'insufficient_scope') {
    parts.push(`error="${refusal.kind === 'invalid' ? 'invalid_token' : 'insufficient_scope'}"`);
    parts.push(`error_description="${quote(refusal.message)}"`);
  }
  if (refusal.kind === 'insufficient_scope') parts.push(`scope="${quote(refusal.scopes.join(' '))}"`);
  return parts.join(', ');
}
