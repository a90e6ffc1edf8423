import type { TokenRefusal } from './token-refusal.js';

/** Why a call is refused: 401 (no or bad credentials) or 403 (not allowed), in the platform's words. */
export interface Refusal {
  status: 401 | 403;
  message: string;
  /** The security chain's refusal, for HTTP's RFC 6750 challenge. */
  token?: TokenRefusal;
}

/** The security chain's refusal as a call's: 403 for a valid token without the scopes, else 401. */
export function refusalOf(token: TokenRefusal): Refusal {
  return { status: token.kind === 'insufficient_scope' ? 403 : 401, message: token.message, token };
}
