import type { Auth } from '../auth/auth.js';

/**
 * The token each verified caller presented, for relaying it to other services: kept beside the
 * `Auth` (weakly, so that it goes with it), never on it, so that it is not logged, serialized or
 * returned with the caller. A SAML session's caller has none.
 */
const presented = new WeakMap<Auth, string>();

export function rememberPresentedToken(auth: Auth, token: string): void {
  presented.set(auth, token);
}

export function presentedToken(auth: Auth): string | undefined {
  return presented.get(auth);
}
