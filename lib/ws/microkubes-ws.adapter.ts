import { Logger, type INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { Auth } from '../auth/auth.js';
import { bearerChallenge } from '../security/bearer-challenge.js';
import type { ConnectionAuthenticator } from '../security/connection-authenticator.js';
import type { Credentials } from '../security/credentials.js';
import type { Refusal } from '../security/refusal.js';
import type { TokenRefusal } from '../security/token-refusal.js';
import { forgetSocketCaller, rememberSocketCaller } from '../transports/call-callers.js';
import { connectionAuthenticatorOf } from '../transports/connection-authenticator-of.js';
// Registers WsException as the refusal of gateway handlers, for @CurrentAuth() before any guard ran.
import '../transports/websocket.transport.js';
import { forgetWsCredentials, rememberWsCredentials } from '../transports/socket-credentials.js';

/** WebSocket close codes for a connection ended by the module: as graphql-ws has them, HTTP's status plus 4000. */
export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

type VerifyClient = (info: { req: IncomingMessage }, callback: (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void;
type WsAdapterOptions = ConstructorParameters<typeof WsAdapter>[1];

interface Verified {
  credentials: Credentials | TokenRefusal;
  auth: Auth | null;
}

/**
 * The `ws` adapter with the module's security at the upgrade: a connection is authenticated once,
 * from the token header of its upgrade request (`Authorization: Bearer <jwt>`), and one without
 * valid credentials is answered `401` (`403` for missing scopes) with an RFC 6750 challenge and a
 * `{ code, message }` body: no socket is opened and no handler runs. An accepted socket keeps its
 * caller for `@CurrentAuth()` and the guards, and is closed with 4401 when its token expires.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new MicrokubesWsAdapter(app));
 * ```
 */
export class MicrokubesWsAdapter extends WsAdapter {
  private readonly connections: ConnectionAuthenticator;
  private readonly tracked = new WeakSet<object>();
  private readonly verified = new WeakMap<IncomingMessage, Verified>();
  private readonly securityLogger = new Logger('MicrokubesWsAdapter');

  constructor(app: INestApplicationContext, options?: WsAdapterOptions) {
    super(app, options);
    this.connections = connectionAuthenticatorOf(app, 'MicrokubesWsAdapter');
  }

  // Typed as WsAdapter's own (any), so that the declarations need no @types/ws.
  override create(port: number, options: Record<string, unknown> & { namespace?: string; server?: unknown; path?: string } = {}): ReturnType<WsAdapter['create']> {
    const from = `ws upgrade ${options.path ?? '/'}`;
    const theirs = options.verifyClient as VerifyClient | undefined;
    const verifyClient: VerifyClient = (info, callback) => {
      this.verify(info.req, from)
        .then((refusal) => {
          if (refusal) return callback(false, refusal.status, JSON.stringify({ code: refusal.status, message: refusal.message }), this.refusalHeaders(refusal));
          if (!theirs) return callback(true);
          // The app's own verifyClient, after ours: ws' async form, or its sync one.
          if (theirs.length >= 2) return theirs(info, callback);
          callback(Boolean((theirs as unknown as (info: { req: IncomingMessage }) => boolean)(info)));
        })
        // The app's verifyClient threw: the upgrade is refused, not left hanging (nor the process crashed).
        .catch((error: unknown) => {
          this.securityLogger.error(`verifyClient of ${from} failed: ${(error as Error)?.message ?? String(error)}`);
          callback(false, 500);
        });
    };
    const server = super.create(port, { ...options, verifyClient }) as WebSocketServer;
    if (!this.tracked.has(server)) {
      this.tracked.add(server);
      // Before Nest's own listener (added after create): the caller is kept before any handler.
      server.on('connection', (socket: WebSocket, request: IncomingMessage) => this.opened(socket, request));
    }
    return server;
  }

  /** Authenticates an upgrade request; undefined when it may go on. */
  private async verify(request: IncomingMessage, from: string): Promise<Refusal | undefined> {
    const credentials = this.connections.upgradeCredentials(request, from);
    const result = await this.connections.authenticate(credentials, from);
    if (result !== null && !(result instanceof Auth)) return result;
    this.verified.set(request, { credentials, auth: result });
    return undefined;
  }

  private opened(socket: WebSocket, request: IncomingMessage): void {
    const verified = this.verified.get(request);
    if (!verified) {
      // A server handed in by the app (a gateway's `server` option) has no verifyClient of ours:
      // its connections were never authenticated, and are closed (fail closed).
      end(socket, 'connection not authenticated at its upgrade');
      return;
    }
    rememberWsCredentials(socket, verified.credentials);
    if (!verified.auth) return;
    rememberSocketCaller(socket, verified.auth);
    const cancel = this.connections.untilExpiry(verified.auth, (reason) => end(socket, reason));
    socket.once('close', cancel);
  }

  private refusalHeaders(refusal: Refusal): Record<string, string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (refusal.token) headers['WWW-Authenticate'] = bearerChallenge(this.connections.security, refusal.token);
    return headers;
  }
}

/** How long a closed socket's peer has to answer the close frame before it is cut off. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Ends a socket the module refuses: its caller and credentials forgotten at once, so that no
 * message it still sends is handled as theirs (`ws` emits messages until the closing handshake
 * ends, up to 30 s for a peer that ignores the close frame), closed with 4401, and cut off after
 * a grace period.
 */
function end(socket: WebSocket, reason: string): void {
  forgetSocketCaller(socket);
  forgetWsCredentials(socket);
  socket.close(WS_CLOSE_UNAUTHORIZED, reason);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
