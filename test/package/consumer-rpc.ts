import 'reflect-metadata';
import { Controller, Get, Inject, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Transport, type ClientProxy } from '@nestjs/microservices';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule, ServiceCalls } from 'microkubes-nestjs';
import { withServiceCalls } from 'microkubes-nestjs/microservices';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';
import { createServer } from 'node:net';
import { firstValueFrom } from 'rxjs';

/** A consumer with a TCP message handler that it calls itself, relaying its caller: the microservices entry point, strictly typed. */
const port = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const tcp = { host: '127.0.0.1', port };

@Controller()
@UseGuards(MicrokubesAuthGuard)
class HelloController {
  constructor(@Inject('HELLO') private readonly hello: ClientProxy) {}

  @MessagePattern('hello')
  greet(@CurrentAuth() auth: Auth): string {
    return `Hello ${auth.username}, over TCP`;
  }

  @Get('relayed')
  relayed(): Promise<string> {
    return firstValueFrom(this.hello.send<string>('hello', {}));
  }
}

const kit = MicrokubesTestingKit.create();

@Module({
  imports: [MicrokubesModule.forRoot({ keysDir: kit.keysDir, watchKeys: false, serviceCalls: { serviceName: 'consumer', systemKey: false } })],
  controllers: [HelloController],
  providers: [
    {
      provide: 'HELLO',
      inject: [ServiceCalls],
      useFactory: (calls: ServiceCalls) => withServiceCalls(ClientProxyFactory.create({ transport: Transport.TCP, options: tcp }), calls, 'relay'),
    },
  ],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.connectMicroservice({ transport: Transport.TCP, options: tcp }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const answer = await (await fetch(`${url}/relayed`, kit.bearer({ username: 'jane@example.com' }))).text();
  await app.get<ClientProxy>('HELLO').close();
  await app.close();
  kit.remove();
  if (answer !== 'Hello jane@example.com, over TCP') throw new Error(`relayed over TCP: ${answer}`);
  console.log(`consumer: ${answer}`);
}

await main();
