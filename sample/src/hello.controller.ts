import { Controller, Get, Header, HttpCode, Options, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard, Public } from 'microkubes-nestjs';

@Controller()
@UseGuards(MicrokubesAuthGuard)
export class HelloController {
  /** Secured: any valid platform JWT or OAuth2 token. */
  @Get('hello')
  hello(@CurrentAuth() auth: Auth) {
    const { userId, username, roles, organizations, namespaces, scopes } = auth;
    return {
      message: `Hello ${username} from NestJS service on Microkubes`,
      auth: { userId, username, roles, organizations, namespaces, scopes },
    };
  }

  /** Public by its decorator, inside a secured controller. */
  @Public()
  @Get('hello/ping')
  ping() {
    return { pong: true };
  }

  /** `OPTIONS` is an ignored method (`security.ignoreHttpMethods`): a handler declared for it skips security. */
  @Options('hello')
  @HttpCode(204)
  @Header('Allow', 'GET, OPTIONS')
  helloOptions(): void {}

  /** Public: the service config's `ignorePatterns` (`/public/.*`) let it skip security. */
  @Get('public/about')
  about() {
    return { service: 'hello-service', docs: 'https://github.com/Microkubes' };
  }
}
