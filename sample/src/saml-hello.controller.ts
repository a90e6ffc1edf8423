import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from 'microkubes-nestjs';

/**
 * The SAML route (only when SAML is configured): a browser without a session is sent to the IdP
 * and comes back here after login; API clients still use their tokens.
 */
@Controller('saml')
@UseGuards(MicrokubesAuthGuard)
export class SamlHelloController {
  @Get('hello')
  @Header('content-type', 'text/html; charset=utf-8')
  hello(@CurrentAuth() auth: Auth) {
    const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!doctype html><meta charset="utf-8"><title>Hello</title>
<h1>Hello ${escape(auth.username)} from NestJS service on Microkubes</h1>
<p>User id: ${escape(auth.userId)}. Roles: ${escape(auth.roles.join(', ') || 'none')}. Signed in by ${auth.strategy}.</p>
<p><a href="/saml/logout">Log out</a></p>`;
  }
}
