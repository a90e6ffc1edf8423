import 'reflect-metadata';
import { Controller, Injectable, Module, UnauthorizedException, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, Transport, type MicroserviceOptions, type TcpContext } from '@nestjs/microservices';
import jwt from 'jsonwebtoken';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule } from '../lib/index.js';

/**
 * The message handlers of the RPC benchmark, in a process of its own:
 * `node rpc-server.js <tcp|nats> <port|url> <keysDir>`. `open` unguarded; `allow-all` behind a
 * guard that allows everything (Nest's guard cost); `guarded` behind
 * MicrokubesAuthGuard (its cache on, the default); `by-hand` behind the guard a user would write:
 * jsonwebtoken with a parsed KeyObject, reading the token where the transport carries it.
 */
const [transport, address, keysDir] = process.argv.slice(2) as ['tcp' | 'nats', string, string];
const publicKey = createPublicKey(readFileSync(join(keysDir, 'default.pub')));

@Injectable()
class ByHandGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc().getContext<TcpContext & { getHeaders?(): { get(name: string): string } }>();
    const header = transport === 'tcp' ? rpc.getMetadata()?.authorization : rpc.getHeaders?.()?.get('authorization');
    try {
      jwt.verify(String(header).replace(/^Bearer /, ''), publicKey, { algorithms: ['RS512'] });
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** What Nest's own guard machinery costs, a guard that decides nothing. */
const allowAll: CanActivate = { canActivate: () => true };

@Controller()
class Handlers {
  @MessagePattern('open')
  open(@Payload() n: number) {
    return n;
  }

  @MessagePattern('allow-all')
  @UseGuards(allowAll)
  allowed(@Payload() n: number) {
    return n;
  }

  @MessagePattern('guarded')
  @UseGuards(MicrokubesAuthGuard)
  guarded(@Payload() n: number, @CurrentAuth() auth: Auth) {
    return auth.userId === 'user-0' ? n : -1;
  }

  @MessagePattern('by-hand')
  @UseGuards(ByHandGuard)
  byHand(@Payload() n: number) {
    return n;
  }
}

@Module({ imports: [MicrokubesModule.forRoot({ keysDir, watchKeys: false, healthCheck: false })], controllers: [Handlers], providers: [ByHandGuard] })
class AppModule {}

const options: MicroserviceOptions =
  transport === 'tcp' ? { transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(address) } } : { transport: Transport.NATS, options: { servers: [address] } };
const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, { ...options, logger: false });
await app.listen();
process.send?.('ready');
