import { Controller, UseGuards } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from 'microkubes-nestjs';

/** The sample's message handlers, over TCP: the same guard, the caller from the message's metadata. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class HelloHandlers {
  /** Policy `hello-for-everyone` allows `rpc:hello` (api:read). */
  @MessagePattern('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { message: `Hello ${auth.username}, over TCP`, userId: auth.userId };
  }
}
