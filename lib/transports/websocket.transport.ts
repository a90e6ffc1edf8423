import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { ACL_ACTION_KEY } from '../acl/acl-action.decorator.js';
import type { Auth } from '../auth/auth.js';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { callerOf, rememberCaller } from './call-callers.js';
import { registerRefusalError } from './refusal-errors.js';
import { socketCredentials } from './socket-credentials.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

/**
 * WebSocket gateways (@nestjs/websockets, socket.io or ws): the caller kept on the socket from its
 * handshake on (MicrokubesIoAdapter and MicrokubesWsAdapter authenticate it there; without them the
 * first guarded message does), and a refused message answered with the transport's `exception`
 * event, `{ code, message }`, the connection left open. Policies judge `ws:<message>` as
 * `api:read` unless `@AclAction()` says otherwise. Loaded only when an app has a gateway.
 */
export class WebSocketTransport implements TransportAdapter {
  private readonly reflector = new Reflector();

  constructor(private readonly security: ResolvedSecurityOptions) {}

  caller(context: ExecutionContext): Auth | undefined {
    return callerOf(context);
  }

  remember(context: ExecutionContext, auth: Auth): void {
    rememberCaller(context, auth);
  }

  credentials(context: ExecutionContext): Credentials {
    return socketCredentials(context.switchToWs().getClient<object>(), this.security);
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

/** A refusal as a gateway's client receives it: an `exception` event with `{ code, message }`. */
function wsRefusal(refusal: Refusal): WsException {
  return new WsException({ code: refusal.status, message: refusal.message });
}

registerRefusalError('ws', wsRefusal);
