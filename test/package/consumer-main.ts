import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule, Public, Roles, RolesGuard, UseRoles } from 'microkubes-nestjs';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';
// Its declarations, checked strictly here: they need none of the optional peers.
import type { GraphqlWsAuthentication } from 'microkubes-nestjs/graphql';

/** A consumer of the packed module: it must type-check strictly, boot, and secure a route. */
@Controller()
@UseGuards(MicrokubesAuthGuard, RolesGuard)
class HelloController {
  @Get('hello')
  @Roles('user')
  hello(@CurrentAuth() auth: Auth) {
    return { message: `Hello ${auth.username}` };
  }

  @Get('reports')
  @Public()
  @UseRoles({ resource: 'reports', action: 'read' })
  reports() {
    return { reports: [] };
  }
}

const kit = MicrokubesTestingKit.create();
export type SubscriptionsConfig = GraphqlWsAuthentication;

@Module({ imports: [MicrokubesModule.forRoot({ keysDir: kit.keysDir, watchKeys: false })], controllers: [HelloController] })
class AppModule {}

/** No top-level await: the CommonJS build has none. */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const anonymous = await fetch(`${url}/hello`);
  const signedIn = await fetch(`${url}/hello`, kit.bearer({ username: 'jane@example.com' }));
  const body = (await signedIn.json()) as { message: string };
  await app.close();
  kit.remove();
  if (anonymous.status !== 401 || signedIn.status !== 200 || body.message !== 'Hello jane@example.com') {
    throw new Error(`/hello answered ${anonymous.status} without a token and ${signedIn.status} ${JSON.stringify(body)} with one`);
  }
  console.log(`consumer (${typeof require === 'function' ? 'CommonJS' : 'ESM'}): 401 without a token, 200 with one`);
}

main().catch((error: unknown) => {
  console.error(`consumer: ${(error as Error).message}`);
  process.exit(1);
});
