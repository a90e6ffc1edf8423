import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { MicrokubesAuthGuard, MicrokubesModule, Public } from 'microkubes-nestjs';
import { createMicrokubesDocument } from 'microkubes-nestjs/swagger';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';

/** A consumer serving Swagger UI with the module's security in its document: the swagger entry point, strictly typed. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
class HelloController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }

  @Public()
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

const kit = MicrokubesTestingKit.create();

@Module({ imports: [MicrokubesModule.forRoot({ keysDir: kit.keysDir, watchKeys: false })], controllers: [HelloController] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  const document = createMicrokubesDocument(app, new DocumentBuilder().setTitle('consumer').build());
  SwaggerModule.setup('docs', app, document);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const served = (await (await fetch(`${url}/docs-json`)).json()) as typeof document;
  await app.close();
  kit.remove();
  const hello = served.paths['/hello']?.get;
  if (!hello?.responses['401'] || JSON.stringify(hello.security) !== '[{"jwt":[]},{"oauth2":[]}]') throw new Error(`GET /hello is not documented as secured: ${JSON.stringify(hello)}`);
  if (served.paths['/ping']?.get?.security || !served.paths['/healthcheck']?.get) throw new Error('GET /ping or GET /healthcheck is documented wrong');
  console.log('consumer-swagger: GET /hello secured (jwt, oauth2, 401), GET /ping public, GET /healthcheck documented');
}

await main();
