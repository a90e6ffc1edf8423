import { Controller, Get, Inject, Injectable, Options, Scope, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MICROKUBES_AUTH, MicrokubesAuthGuard, Public } from '../../lib/index.js';

/** The shape most tests look at: a secured route that echoes its caller. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class HelloController {
  @Get('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { username: auth.username, auth };
  }

  @Get('whoami')
  whoami(@CurrentAuth('username') username: string) {
    return { username };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }

  @Get('todo/public/list')
  publicByPattern() {
    return { public: true };
  }

  @Options('hello')
  preflight() {
    return { preflight: true };
  }
}

@Injectable({ scope: Scope.REQUEST })
export class CallerService {
  constructor(@Inject(MICROKUBES_AUTH) private readonly auth: Auth) {}

  describe() {
    return { userId: this.auth.userId, username: this.auth.username, isAuth: this.auth instanceof Auth };
  }
}

/** Takes the Auth through the REQUEST-scoped provider instead of the decorator. */
@Controller('scoped')
@UseGuards(MicrokubesAuthGuard)
export class ScopedController {
  constructor(private readonly caller: CallerService) {}

  @Get()
  get() {
    return this.caller.describe();
  }
}

/** Public as a whole, but one route secured again: the method's decorator wins. */
@Controller('catalog')
@UseGuards(MicrokubesAuthGuard)
@Public()
export class CatalogController {
  @Get()
  list() {
    return { items: [] };
  }

  @Get('orders')
  @Public(false)
  orders(@CurrentAuth('username') username: string) {
    return { username };
  }
}
