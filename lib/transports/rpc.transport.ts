import { Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GrpcStatus, KafkaContext, NatsContext, RedisContext, RmqContext, RpcException, TcpContext } from '@nestjs/microservices';
// How Nest itself turns a pattern into the route it dispatches on (sorted keys for objects).
import { transformPatternToRoute } from '@nestjs/microservices/utils/transform-pattern.utils.js';
import { ACL_ACTION_KEY } from '../acl/acl-action.decorator.js';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { headerCredentials } from '../security/header-credentials.js';
import type { TokenRefusal } from '../security/token-refusal.js';
import { registerRefusalError } from './refusal-errors.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

/** @nestjs/microservices' own metadata keys and PatternHandler.EVENT, not exported from its root. */
const PATTERN_METADATA = 'microservices:pattern';
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const EVENT_HANDLER = 2;

/** What of @grpc/grpc-js' Metadata a guard reads: a gRPC handler's arguments are `[data, metadata, call]`. */
interface GrpcMetadata {
  getMap(): Record<string, unknown>;
  get(key: string): unknown[];
}

/** A gRPC handler's declared pattern, as @GrpcMethod and @GrpcStreamMethod write it. */
interface GrpcPattern {
  service: string;
  rpc: string;
}

/**
 * Message transports (@nestjs/microservices): the token from the message's headers, where each
 * transport has them (gRPC metadata, NATS and RabbitMQ headers, Kafka headers), and for TCP and
 * Redis, which have none, Nest's packet `metadata` (what `ClientProxy#setOnDispatchHook` sets);
 * always the `authorization` entry, as an HTTP header. The caller is kept for the one message.
 * Policies judge `rpc:<pattern>` (`grpc:<Service>/<Method>` over gRPC), the handler's declared
 * pattern, never the subject a message came on: request-response as `api:read`, events as
 * `api:write`, unless `@AclAction()` says otherwise. Refusals are RpcExceptions with
 * `{ code, message }`; over gRPC `code` is UNAUTHENTICATED (16) or PERMISSION_DENIED (7). An event
 * that is refused is dropped, with a warning: nobody waits for its answer. Loaded only when an app
 * has message handlers.
 */
export class RpcTransport implements TransportAdapter {
  readonly label = 'rpc';
  private readonly reflector = new Reflector();
  private readonly logger = new Logger('MicrokubesAuthGuard');

  constructor(private readonly security: ResolvedSecurityOptions) {}

  credentials(context: ExecutionContext): Credentials | TokenRefusal {
    return headerCredentials(this.security, messageHeaders(context), `${this.kind(context)} ${this.describe(context)}`);
  }

  requestId(context: ExecutionContext): unknown {
    const found = messageHeaders(context).find(([name]) => name.toLowerCase() === 'x-request-id')?.[1];
    const value = Array.isArray(found) ? found[0] : found;
    return Buffer.isBuffer(value) ? value.toString('utf8') : value;
  }

  passesUnauthenticated(): boolean {
    return false;
  }

  target(context: ExecutionContext): AccessTarget {
    const declared = this.reflector.getAllAndOverride<string | undefined>(ACL_ACTION_KEY, [context.getHandler(), context.getClass()]);
    const data = context.getArgByIndex<unknown>(0);
    return {
      resource: this.resource(context),
      action: declared ?? (this.isEvent(context) ? 'api:write' : 'api:read'),
      factsChosenByCaller: true,
      facts: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined,
    };
  }

  callKey(): undefined {
    return undefined;
  }

  async refuse(context: ExecutionContext, refusal: Refusal): Promise<never> {
    if (this.isEvent(context)) this.logger.warn(`Dropped the event ${this.describe(context)}: ${refusal.message}`);
    throw rpcRefusal(refusal, context);
  }

  private isEvent(context: ExecutionContext): boolean {
    return Reflect.getMetadata(PATTERN_HANDLER_METADATA, context.getHandler()) === EVENT_HANDLER;
  }

  private kind(context: ExecutionContext): string {
    if (isGrpc(context)) return 'grpc';
    return this.isEvent(context) ? 'event' : 'message';
  }

  private describe(context: ExecutionContext): string {
    return this.resource(context) ?? `${context.getClass().name}.${context.getHandler().name}`;
  }

  /**
   * The pattern the handler declares (not one the message names: a NATS or RabbitMQ wildcard
   * subscription receives subjects the caller chose). A handler with several patterns is judged
   * on the one the message came on, when it is one of them; otherwise there is no resource, and
   * policies deny.
   */
  private resource(context: ExecutionContext): string | undefined {
    const patterns = Reflect.getMetadata(PATTERN_METADATA, context.getHandler()) as unknown[] | undefined;
    if (!patterns || patterns.length === 0) return undefined;
    if (isGrpc(context)) {
      const pattern = patterns[0] as GrpcPattern;
      return `grpc:${pattern.service}/${pattern.rpc}`;
    }
    const routes = patterns.map((pattern) => transformPatternToRoute(pattern as never));
    if (routes.length === 1) return `rpc:${routes[0]}`;
    const received = receivedPattern(context);
    return received !== undefined && routes.includes(received) ? `rpc:${received}` : undefined;
  }
}

/** Whether this call is a gRPC method's: its second argument is @grpc/grpc-js' Metadata. */
function isGrpc(context: ExecutionContext): boolean {
  const metadata = context.getArgByIndex<Partial<GrpcMetadata> | undefined>(1);
  return typeof metadata?.getMap === 'function' && typeof metadata.get === 'function';
}

/** A message's headers as name/value pairs, each transport's where it keeps them. */
function messageHeaders(context: ExecutionContext): Array<readonly [string, unknown]> {
  const rpc = context.getArgByIndex<unknown>(1);
  if (isGrpc(context)) return Object.entries((rpc as GrpcMetadata).getMap()).map(([name]) => [name, (rpc as GrpcMetadata).get(name)] as const);
  if (rpc instanceof TcpContext || rpc instanceof RedisContext) return Object.entries(rpc.getMetadata() ?? {});
  if (rpc instanceof NatsContext) {
    const headers = rpc.getHeaders() as { keys(): string[]; values(key: string): string[] } | undefined;
    return headers ? headers.keys().map((name) => [name, headers.values(name)] as const) : [];
  }
  if (rpc instanceof RmqContext) {
    const headers = (rpc.getMessage() as { properties?: { headers?: Record<string, unknown> } }).properties?.headers;
    return Object.entries(headers ?? {});
  }
  if (rpc instanceof KafkaContext) return Object.entries(rpc.getMessage().headers ?? {});
  return [];
}

/** The pattern a message came on, as Nest routes it. */
function receivedPattern(context: ExecutionContext): string | undefined {
  const rpc = context.getArgByIndex<unknown>(1);
  if (rpc instanceof TcpContext || rpc instanceof RmqContext) return rpc.getPattern();
  if (rpc instanceof NatsContext) return rpc.getSubject();
  if (rpc instanceof RedisContext) return rpc.getChannel();
  if (rpc instanceof KafkaContext) return rpc.getTopic();
  return undefined;
}

/**
 * A refusal as an RPC caller receives it: `{ code: 401 | 403, message }`, the platform's body;
 * over gRPC, the status UNAUTHENTICATED or PERMISSION_DENIED with the reason as its details.
 */
function rpcRefusal(refusal: Refusal, context: ExecutionContext): RpcException {
  if (isGrpc(context)) return new RpcException({ code: refusal.status === 401 ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.PERMISSION_DENIED, message: refusal.message });
  return new RpcException({ code: refusal.status, message: refusal.message });
}

registerRefusalError('rpc', rpcRefusal);
