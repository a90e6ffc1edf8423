import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { Credentials } from '../security/credentials.js';
import { tokenCredentials, upgradeCredentials, type UpgradeRequest } from '../security/token-credentials.js';
import { TokenRefusal } from '../security/token-refusal.js';

/** What of a socket.io socket its credentials are read from. */
export interface SocketIoHandshake {
  nsp?: { name?: string };
  handshake?: { auth?: Record<string, unknown> };
  /** The engine.io connection's first HTTP request, with its raw headers. */
  request?: UpgradeRequest;
}

/**
 * A socket.io socket's credentials: its handshake's `auth.token`, or the token header of its HTTP
 * request. Both at once is ambiguous, refused; a token in the query string is never taken (URLs
 * are logged by every proxy and by Kong), nor is a cookie (see upgradeCredentials).
 */
export function socketIoCredentials(security: ResolvedSecurityOptions, socket: SocketIoHandshake): Credentials | TokenRefusal {
  const from = `socket.io handshake ${socket.nsp?.name ?? '/'}`;
  const fromHeaders = upgradeCredentials(security, socket.request ?? { headers: {} }, from);
  const auth = socket.handshake?.auth;
  if (!auth || !Object.hasOwn(auth, 'token') || auth.token === undefined) return fromHeaders;
  if (fromHeaders instanceof TokenRefusal || Object.keys(fromHeaders.headers).length > 0) {
    return new TokenRefusal('ambiguous credentials: both auth.token and a token header', 'ambiguous');
  }
  return tokenCredentials(security, auth.token, from);
}

/** A `ws` socket's credentials, taken from its upgrade request by MicrokubesWsAdapter (ws keeps no request). */
const wsCredentials = new WeakMap<object, Credentials | TokenRefusal>();

export function rememberWsCredentials(socket: object, credentials: Credentials | TokenRefusal): void {
  wsCredentials.set(socket, credentials);
}

/** A socket the module ended: what it presented no longer stands for anyone (its messages are refused). */
export function forgetWsCredentials(socket: object): void {
  wsCredentials.set(socket, new TokenRefusal('connection closed by the server'));
}

/** What a gateway's client presented at its connection; nothing when no Microkubes adapter saw it. */
export function socketCredentials(security: ResolvedSecurityOptions, client: object): Credentials | TokenRefusal {
  if ('handshake' in client) return socketIoCredentials(security, client as SocketIoHandshake);
  return wsCredentials.get(client) ?? { headers: {}, from: 'ws connection (not seen by MicrokubesWsAdapter)' };
}
