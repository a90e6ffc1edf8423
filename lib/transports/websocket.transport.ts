import { Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { ACL_ACTION_KEY } from '../acl/acl-action.decorator.js';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { TokenRefusal } from '../security/token-refusal.js';
import { socketCaller } from './call-callers.js';
import { registerRefusalError } from './refusal-errors.js';
import { socketCredentials } from './socket-credentials.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

/**
 * WebSocket gateways (@nestjs/websockets, socket.io or ws): the caller kept on the socket from its
 * handshake on (MicrokubesIoAdapter and MicrokubesWsAdapter authenticate it there; without them the
 * first guarded message does), and a refused message answered with the transport's `exception`
 * event, `{ status: 'error', code, message }`, the connection left open. Policies judge `ws:<message>` as
 * `api:read` unless `@AclAction()` says otherwise. Loaded only when an app has a gateway.
 */
export class WebSocketTransport implements TransportAdapter {
  readonly label = 'websocket';
  private readonly reflector = new Reflector();
  private readonly logger = new Logger('MicrokubesAuthGuard');
  private warned = false;

  constructor(private readonly security: ResolvedSecurityOptions) {}

  credentials(context: ExecutionContext): Credentials | TokenRefusal {
    const client = context.switchToWs().getClient<object>();
    if (!this.warned && !socketCaller(client)) {
      this.warned = true;
      this.logger.warn(
        'A WebSocket client reached a guarded message without having been authenticated at its connection: ' +
          'use MicrokubesIoAdapter (microkubes-nestjs/socket.io) or MicrokubesWsAdapter (microkubes-nestjs/ws), ' +
          'so that connections without valid credentials are refused before any handler runs',
      );
    }
    return socketCredentials(this.security, client);
  }

  /** socket.io: its handshake's; ws keeps no request. */
  requestId(context: ExecutionContext): unknown {
    return (context.switchToWs().getClient<{ handshake?: { headers?: Record<string, unknown> } }>()).handshake?.headers?.['x-request-id'];
  }

  passesUnauthenticated(): boolean {
    return false;
  }

  target(context: ExecutionContext): AccessTarget {
    const ws = context.switchToWs();
    const declared = this.reflector.getAllAndOverride<string | undefined>(ACL_ACTION_KEY, [context.getHandler(), context.getClass()]);
    const data = ws.getData<unknown>();
    return {
      resource: `ws:${String(ws.getPattern())}`,
      action: declared ?? 'api:read',
      factsChosenByCaller: true,
      facts: typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined,
    };
  }

  callKey(): undefined {
    return undefined;
  }

  async refuse(_context: ExecutionContext, refusal: Refusal): Promise<never> {
    throw wsRefusal(refusal);
  }
}

/**
 * A refusal as a gateway's client receives it: an `exception` event (socket.io) or message
 * (`{ event: 'exception', data }` over ws) with `{ status: 'error', code, message }`.
 */
function wsRefusal(refusal: Refusal): WsException {
  return new WsException({ status: 'error', code: refusal.status, message: refusal.message });
}

registerRefusalError('ws', wsRefusal);
