import { UseGuards } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from 'microkubes-nestjs';

/**
 * socket.io on the HTTP port: `io('http://localhost:3000', { auth: { token } })` with the same token
 * as GET /hello, authenticated at the handshake by MicrokubesIoAdapter (main.ts); a `hello`
 * message is answered with a `hello` event. The ACL policy `hello-graphql` allows `ws:hello`.
 */
@WebSocketGateway()
@UseGuards(MicrokubesAuthGuard)
export class HelloGateway {
  @SubscribeMessage('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { event: 'hello', data: `Hello ${auth.username} from NestJS service on Microkubes` };
  }
}
