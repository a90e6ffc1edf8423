import { Controller, UseGuards } from '@nestjs/common';
import { EventPattern, GrpcMethod, GrpcStreamCall, GrpcStreamMethod, MessagePattern, Payload } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { AclAction, Auth, CurrentAuth, MicrokubesAuthGuard, Public, Roles, RolesGuard } from '../../lib/index.js';

/** What the `audit` event handler ran for, in order: an event refused must never show here. */
export const auditsSeen: Array<{ userId: string; tag: unknown }> = [];

/**
 * The message handlers the RPC tests run over TCP, Redis, NATS and RabbitMQ alike: each answers
 * with what it knows of its caller.
 */
@Controller()
@UseGuards(MicrokubesAuthGuard, RolesGuard)
export class RpcHandlers {
  @MessagePattern('whoami')
  whoami(@CurrentAuth() auth: Auth, @Payload() tag?: unknown) {
    return { userId: auth.userId, username: auth.username, roles: auth.roles, tag };
  }

  @MessagePattern('admin')
  @Roles('admin')
  admin() {
    return 'secret';
  }

  @MessagePattern({ cmd: 'report', version: 1 })
  report(@CurrentAuth() auth: Auth) {
    return `report for ${auth.userId}`;
  }

  @MessagePattern('orders.write')
  @AclAction('api:write')
  writeOrder(@CurrentAuth() auth: Auth) {
    return `written by ${auth.userId}`;
  }

  @MessagePattern('open')
  @Public()
  open() {
    return 'open';
  }

  @EventPattern('audit')
  audit(@CurrentAuth() auth: Auth, @Payload() tag: unknown) {
    auditsSeen.push({ userId: auth.userId, tag });
  }
}

/** The gRPC service of test/support/hello.proto, behind the same guards. */
@Controller()
@UseGuards(MicrokubesAuthGuard, RolesGuard)
export class GrpcHandlers {
  @GrpcMethod('HelloService', 'WhoAmI')
  whoAmI(@Payload() request: { tag: string }, @CurrentAuth() auth: Auth) {
    return { userId: auth.userId, roles: auth.roles.join(','), tag: request.tag };
  }

  /** A bidirectional stream: each message answered with the caller of the call. */
  @GrpcStreamMethod('HelloService', 'Chat')
  chat(@Payload() messages: Observable<{ tag: string }>, @CurrentAuth() auth: Auth): Observable<{ userId: string; roles: string; tag: string }> {
    return messages.pipe(map((message) => ({ userId: auth.userId, roles: auth.roles.join(','), tag: message.tag })));
  }

  @GrpcMethod('HelloService', 'Admin')
  @Roles('admin')
  adminOnly() {
    return { userId: 'secret', roles: '', tag: '' };
  }
}

/** A @GrpcStreamCall handler behind the guard: start-up must refuse it (Nest does not catch its guards' refusals). */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class GuardedStreamCall {
  @GrpcStreamCall('HelloService', 'Chat')
  chat(call: { end(): void }) {
    call.end();
  }
}

/** The same, @Public(): never refused, so it may start. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class PublicStreamCall {
  @GrpcStreamCall('HelloService', 'Chat')
  @Public()
  chat(call: { end(): void }) {
    call.end();
  }
}

/** A guarded @GrpcStreamCall handler inherited from a base class: start-up must refuse it too. */
@UseGuards(MicrokubesAuthGuard)
class StreamCallBase {
  @GrpcStreamCall('HelloService', 'Chat')
  chat(call: { end(): void }) {
    call.end();
  }
}

@Controller()
export class InheritedStreamCall extends StreamCallBase {}
