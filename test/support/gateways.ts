import { UseGuards } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { AccessControlGuard, AclAction, Auth, CurrentAuth, MicrokubesAuthGuard, Roles, RolesGuard, socketCaller, UseRoles } from '../../lib/index.js';

/** What a gateway's `handleConnection` saw: the caller the adapter authenticated, before any message. */
export const connectionsSeen: string[] = [];

/**
 * The gateway the WebSocket tests run, on socket.io and on ws alike: every handler answers
 * `{ event, data }`, which socket.io emits as that event and ws sends as that JSON.
 */
@WebSocketGateway()
@UseGuards(MicrokubesAuthGuard, RolesGuard, AccessControlGuard)
export class ChatGateway implements OnGatewayConnection {
  handleConnection(client: object): void {
    connectionsSeen.push(socketCaller(client)?.userId ?? 'nobody');
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentAuth() auth: Auth, @MessageBody() tag?: unknown) {
    return { event: 'whoami', data: { userId: auth.userId, roles: auth.roles, tag } };
  }

  @SubscribeMessage('admin')
  @Roles('admin')
  admin() {
    return { event: 'admin', data: 'secret' };
  }

  @SubscribeMessage('report')
  @UseRoles({ resource: 'reports', action: 'read', possession: 'any' })
  report() {
    return { event: 'report', data: 'granted' };
  }

  @SubscribeMessage('post')
  @AclAction('api:write')
  post(@CurrentAuth() auth: Auth, @MessageBody() text: string) {
    return { event: 'post', data: `${auth.username}: ${text}` };
  }
}

/** A gateway with a verifyClient of the app's own, which MicrokubesWsAdapter runs after its own check. */
@WebSocketGateway({ path: '/checked', verifyClient: (info: { req: { headers: Record<string, unknown> } }) => info.req.headers['x-tenant'] === 'acme' })
@UseGuards(MicrokubesAuthGuard)
export class CheckedGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentAuth() auth: Auth) {
    return { event: 'whoami', data: { userId: auth.userId } };
  }
}
