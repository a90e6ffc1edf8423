import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { Credentials } from './transport-adapter.js';

/** The upgrade request's headers of a `ws` socket, kept by MicrokubesWsAdapter (ws keeps no request). */
const upgradeHeaders = new WeakMap<object, IncomingHttpHeaders>();

export function rememberUpgradeHeaders(client: object, headers: IncomingHttpHeaders): void {
  upgradeHeaders.set(client, headers);
}

interface SocketIoClient {
  handshake?: { headers?: IncomingHttpHeaders; auth?: Record<string, unknown> };
}

/**
 * A token given outside a header (socket.io's `auth.token`, graphql-ws' `connectionParams`), as
 * the headers the token strategies read: in each strategy's header, with its scheme unless the
 * token carries one. A token in a URL's query string is never taken (proxies and Kong log URLs).
 */
export function tokenHeaders(security: ResolvedSecurityOptions, token: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const strategy of [security.jwt, security.oauth2]) {
    if (!strategy) continue;
    const hasScheme = strategy.scheme !== null && token.toLowerCase().startsWith(`${strategy.scheme.toLowerCase()} `);
    headers[strategy.header] = strategy.scheme === null || hasScheme ? token : `${strategy.scheme} ${token}`;
  }
  return headers;
}

/**
 * A socket's credentials: socket.io's handshake (`auth.token` first, else its `Authorization`
 * header; its cookies, for a SAML session), or a `ws` socket's upgrade request.
 */
export function socketCredentials(client: object, security: ResolvedSecurityOptions): Credentials {
  const handshake = (client as SocketIoClient).handshake;
  if (handshake) {
    const token = handshake.auth?.token;
    const headers = { ...(handshake.headers ?? {}), ...(typeof token === 'string' && token !== '' ? tokenHeaders(security, token) : {}) };
    return { headers, from: 'socket.io handshake' };
  }
  return { headers: upgradeHeaders.get(client) ?? {}, from: 'ws upgrade' };
}
