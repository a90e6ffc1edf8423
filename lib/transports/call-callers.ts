import type { ExecutionContext } from '@nestjs/common';
import { Auth } from '../auth/auth.js';

/** A socket's caller, from the handshake on: sockets are objects of the WebSocket libraries, kept weakly. */
const socketCallers = new WeakMap<object, Auth>();

/** A message's caller, on the context object Nest builds for each message (a gRPC call's metadata). */
const messageCallers = new WeakMap<object, Auth>();

interface WithUser {
  user?: unknown;
}

/**
 * The object a call's caller is kept on: the HTTP request (`request.user`, as passport and Nest's
 * docs have it); for GraphQL, the HTTP request behind the operation (Apollo's `context.req`,
 * Mercurius' `context.reply.request`), or the request-like object a subscription's context
 * carries; for WebSockets and messages, none (their callers are kept in WeakMaps).
 */
export function callHolder(context: ExecutionContext): WithUser | undefined {
  switch (context.getType<string>()) {
    case 'http':
      return context.switchToHttp().getRequest<WithUser>();
    case 'graphql':
      return graphqlRequest(context.getArgByIndex(2));
    default:
      return undefined;
  }
}

/** The object a call's caller is kept on, whichever the transport: its request, its socket, its message's context. */
export function callerHolder(context: ExecutionContext): object | undefined {
  switch (context.getType<string>()) {
    case 'ws':
      return context.switchToWs().getClient<object>();
    case 'rpc':
      return messageHolder(context);
    default:
      return callHolder(context);
  }
}

/** The RPC context of one message (TcpContext, NatsContext...; a gRPC call's Metadata): new for every message. */
function messageHolder(context: ExecutionContext): object | undefined {
  const rpcContext = context.getArgByIndex<unknown>(1);
  return typeof rpcContext === 'object' && rpcContext !== null ? rpcContext : undefined;
}

/** The request behind a GraphQL operation, in each driver's context. */
export function graphqlRequest(graphqlContext: unknown): (WithUser & { headers?: Record<string, unknown> }) | undefined {
  const context = graphqlContext as { req?: WithUser; reply?: { request?: WithUser } } | undefined;
  return context?.req ?? context?.reply?.request;
}

/** The caller of a call, as MicrokubesAuthGuard left it (DI-free: `@CurrentAuth()` reads it). */
export function callerOf(context: ExecutionContext): Auth | undefined {
  if (context.getType<string>() === 'ws') return socketCaller(context.switchToWs().getClient<object>());
  if (context.getType<string>() === 'rpc') {
    const holder = messageHolder(context);
    return holder && messageCallers.get(holder);
  }
  const user = callHolder(context)?.user;
  return user instanceof Auth ? user : undefined;
}

export function rememberCaller(context: ExecutionContext, auth: Auth): void {
  if (context.getType<string>() === 'ws') {
    rememberSocketCaller(context.switchToWs().getClient<object>(), auth);
    return;
  }
  if (context.getType<string>() === 'rpc') {
    const holder = messageHolder(context);
    if (holder) messageCallers.set(holder, auth);
    return;
  }
  const holder = callHolder(context);
  if (holder) holder.user = auth;
}

/**
 * The caller a socket was authenticated as at its handshake (or at its first guarded message): in
 * a gateway's `handleConnection(client)`, where no guard runs, too.
 */
export function socketCaller(client: object): Auth | undefined {
  return socketCallers.get(client);
}

export function rememberSocketCaller(client: object, auth: Auth): void {
  socketCallers.set(client, auth);
}

/** A socket ended by the module (its token expired): nothing it still sends is handled as its caller's. */
export function forgetSocketCaller(client: object): void {
  socketCallers.delete(client);
}
