import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { MicrokubesAuthGuard } from 'microkubes-nestjs';
import { firstValueFrom } from 'rxjs';

export const HELLO_OVER_TCP = Symbol('hello over TCP');

/**
 * A service calling a service (itself, here): GET /hello/relayed sends `hello` over TCP with the
 * caller's own token, relayed by ServiceCalls, and answers what the message handler saw.
 */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class RelayController {
  constructor(@Inject(HELLO_OVER_TCP) private readonly helloOverTcp: ClientProxy) {}

  @Get('hello/relayed')
  relayed() {
    return firstValueFrom(this.helloOverTcp.send('hello', {}));
  }
}
