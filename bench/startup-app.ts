import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule } from '../lib/index.js';

/** An HTTP-only app, as the README's quick start: `node startup-app.js <keysDir>` prints the ms from process start to listening. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
class HelloController {
  @Get('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { message: `Hello ${auth.username}` };
  }
}

@Module({ imports: [MicrokubesModule.forRoot({ keysDir: process.argv[2], watchKeys: false })], controllers: [HelloController] })
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const listening = performance.now();
await app.close();
process.stdout.write(`${JSON.stringify({ listeningMs: listening, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`);
