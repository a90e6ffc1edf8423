import { Controller, Get, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from 'microkubes-nestjs';

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

  /** Public: the service config's `ignorePatterns` (`/public/.*`) let it skip security. */
  @Get('public/about')
  about() {
    return { service: 'hello-service', docs: 'https://github.com/Microkubes' };
  }
}
