import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import { Auth } from '../auth/auth.js';
import { ConnectionAuthenticator } from '../security/connection-authenticator.js';
import { forgetSocketCaller, rememberSocketCaller, socketCaller } from '../transports/call-callers.js';
import { socketIoCredentials } from '../transports/socket-credentials.js';
import { connectionAuthenticatorOf } from '../transports/connection-authenticator-of.js';
// Registers WsException as the refusal of gateway handlers, for @CurrentAuth() before any guard ran.
import '../transports/websocket.transport.js';

/** What a socket.io client's `connect_error` carries as `err.data`, and the `exception` event at expiry. */
export interface SocketIoRefusal {
  status: 'error';
  code: 401 | 403;
  message: string;
}

/**
 * socket.io's adapter with the module's security at the handshake: every namespace of the app's
 * gateways authenticates a connecting socket once, from its `auth.token` (or its `Authorization`
 * header), before any handler (`handleConnection` included) runs. A refused socket gets a
 * `connect_error` whose `data` is `{ status: 'error', code: 401, message }`; an accepted one keeps
 * its caller for `@CurrentAuth()` and the guards, and is told `exception` and disconnected when
 * its token expires.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new MicrokubesIoAdapter(app));
 * ```
 */
export class MicrokubesIoAdapter extends IoAdapter {
  private readonly connections: ConnectionAuthenticator;
  private readonly secured = new WeakSet<object>();

  constructor(app: INestApplicationContext) {
    super(app);
    this.connections = connectionAuthenticatorOf(app, 'MicrokubesIoAdapter');
  }

  override create(port: number, options?: ServerOptions & { namespace?: string; server?: Server }): Server | Namespace {
    const server = super.create(port, withMiddlewaresOnRecovery(options));
    // Gateways of one namespace share it: its middleware is added once.
    if (!this.secured.has(server)) {
      this.secured.add(server);
      server.use((socket, next) => {
        this.handshake(socket).then(next, next);
      });
      // Armed once the socket is connected: a socket that a later middleware of the app refuses
      // never disconnects, and would hold its timer (and itself) until its token's exp.
      // Before Nest's own listener (added after create).
      server.on('connection', (socket: Socket) => this.connected(socket));
    }
    return server;
  }

  private async handshake(socket: Socket): Promise<Error | undefined> {
    const credentials = socketIoCredentials(this.connections.security, socket);
    const result = await this.connections.authenticate(credentials, `socket.io handshake ${socket.nsp.name}`);
    if (result === null) return undefined;
    if (!(result instanceof Auth)) return refusedHandshake({ status: 'error', code: result.status, message: result.message });
    rememberSocketCaller(socket, result);
    return undefined;
  }

  private connected(socket: Socket): void {
    const auth = socketCaller(socket);
    if (!auth) return;
    const cancel = this.connections.untilExpiry(auth, (reason) => {
      forgetSocketCaller(socket);
      socket.emit('exception', { status: 'error', code: 401, message: reason } satisfies SocketIoRefusal);
      socket.disconnect();
    });
    socket.once('disconnect', cancel);
  }
}

/**
 * socket.io's connection state recovery skips middlewares for a recovered socket by default: it
 * would come back without a handshake check, after its token expired. Here middlewares always run.
 */
function withMiddlewaresOnRecovery<T extends Partial<ServerOptions> | undefined>(options: T): T {
  const recovery = options?.connectionStateRecovery;
  return recovery ? { ...options, connectionStateRecovery: { ...recovery, skipMiddlewares: false } } : options;
}

/** socket.io hands a middleware's error to the client as `connect_error`: its message and its `data`. */
function refusedHandshake(refusal: SocketIoRefusal): Error {
  const error = new Error(refusal.message) as Error & { data: SocketIoRefusal };
  error.data = refusal;
  return error;
}
