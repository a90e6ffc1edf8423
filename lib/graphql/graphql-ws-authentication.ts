import type { IncomingHttpHeaders } from 'node:http';
import { Auth } from '../auth/auth.js';
import type { ConnectionAuthenticator } from '../security/connection-authenticator.js';
import type { Credentials } from '../security/credentials.js';
import { TokenRefusal } from '../security/token-refusal.js';
import type { UpgradeRequest } from '../security/token-credentials.js';
import { closeReason } from '../transports/close-reason.js';
import { GRAPHQL_WS_CONNECTION, type GraphqlConnection } from '../transports/graphql.transport.js';

/** WebSocket close codes graphql-ws uses for these refusals (its `CloseCode.Unauthorized`/`Forbidden`). */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;

/** What of a graphql-ws connection (its `Context`, with the `ws` server's `extra`) is read here. */
export interface GraphqlWsConnection {
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  readonly extra: unknown;
}

interface WsExtra {
  socket: { close(code: number, reason: string): void; readonly readyState?: number };
  request: UpgradeRequest;
}

/** ws' WebSocket.OPEN. */
const OPEN = 1;

/** The context a subscription's resolvers (and the guards) get: yours, plus the connection's caller. */
export interface GraphqlWsContext {
  /** Request-like, as Apollo's HTTP context has it: the connection's token headers and its caller. */
  req: { headers: IncomingHttpHeaders; user?: Auth };
  /** How the guards close the connection (4403 for a forbidden subscription); the mark of a context built here. */
  [GRAPHQL_WS_CONNECTION]: GraphqlConnection;
  [key: string]: unknown;
}

export interface GraphqlWsAuthenticationOptions {
  /** Your own context for subscription operations; `req` is set on it. */
  context?: (connection: GraphqlWsConnection, ...rest: unknown[]) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** The graphql-ws server options this returns, to put under `subscriptions['graphql-ws']`. */
export interface GraphqlWsAuthentication {
  onConnect(connection: GraphqlWsConnection): Promise<boolean>;
  onClose(connection: GraphqlWsConnection): void;
  context(connection: GraphqlWsConnection, ...rest: unknown[]): Promise<GraphqlWsContext>;
}

interface Connected {
  credentials: Credentials;
  auth: Auth | null;
  cancelExpiry(): void;
}

/**
 * graphql-ws subscriptions (Apollo's `subscriptions['graphql-ws']`) behind the module's security:
 * a connection is authenticated once, at `connection_init`, from `connectionParams.authorization`
 * (or `Authorization`; `Bearer <jwt>` or the bare token), else from the upgrade request's token
 * header; both at once is ambiguous and refused. A connection without valid credentials is closed
 * with 4401 (4403 for missing scopes) before any operation; an accepted one is closed with 4401
 * when its token expires. The guards on subscription resolvers find the caller in the context.
 *
 * ```ts
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver,
 *   inject: [ConnectionAuthenticator],
 *   useFactory: (connections: ConnectionAuthenticator) => ({
 *     autoSchemaFile: true,
 *     subscriptions: { 'graphql-ws': graphqlWsAuthentication(connections) },
 *   }),
 * })
 * ```
 */
export function graphqlWsAuthentication(connections: ConnectionAuthenticator, options: GraphqlWsAuthenticationOptions = {}): GraphqlWsAuthentication {
  const connected = new WeakMap<object, Connected>();
  return {
    async onConnect(connection) {
      const extra = connection.extra as WsExtra;
      const credentials = connectionCredentials(connections, connection);
      const result = await connections.authenticate(credentials, 'graphql-ws connection_init', 'graphql');
      if (result !== null && !(result instanceof Auth)) {
        extra.socket.close(result.status === 403 ? CLOSE_FORBIDDEN : CLOSE_UNAUTHORIZED, closeReason(result.message));
        return false;
      }
      // Closed while it was being authenticated: onClose has run already, and found nothing to end.
      if (extra.socket.readyState !== undefined && extra.socket.readyState !== OPEN) return false;
      const cancelExpiry = result ? connections.untilExpiry(result, (reason) => extra.socket.close(CLOSE_UNAUTHORIZED, reason)) : () => {};
      connected.set(connection, { credentials: credentials instanceof TokenRefusal ? { headers: {}, from: credentials.message } : credentials, auth: result, cancelExpiry });
      return true;
    },
    onClose(connection) {
      connected.get(connection)?.cancelExpiry();
    },
    async context(connection, ...rest) {
      const extra = connection.extra as WsExtra;
      const state = connected.get(connection);
      const own = options.context ? await options.context(connection, ...rest) : {};
      return {
        ...own,
        req: { headers: state?.credentials.headers ?? {}, ...(state?.auth && { user: state.auth }) },
        [GRAPHQL_WS_CONNECTION]: { close: (code, reason) => extra.socket.close(code, closeReason(reason)) },
      };
    },
  };
}

function connectionCredentials(connections: ConnectionAuthenticator, connection: GraphqlWsConnection): Credentials | TokenRefusal {
  const from = 'graphql-ws connection_init';
  const params = connection.connectionParams ?? {};
  const lower = Object.hasOwn(params, 'authorization') ? params.authorization : undefined;
  const upper = Object.hasOwn(params, 'Authorization') ? params.Authorization : undefined;
  const fromHeaders = connections.upgradeCredentials((connection.extra as WsExtra).request ?? { headers: {} }, from);
  if (lower === undefined && upper === undefined) return fromHeaders;
  if (lower !== undefined && upper !== undefined) return new TokenRefusal('ambiguous credentials: both authorization and Authorization in connectionParams', 'ambiguous');
  if (fromHeaders instanceof TokenRefusal || Object.keys(fromHeaders.headers).length > 0) {
    return new TokenRefusal('ambiguous credentials: both connectionParams and a token header', 'ambiguous');
  }
  return connections.tokenCredentials(lower ?? upper, from);
}
