import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule, Public, Roles, RolesGuard, UseRoles, type MicrokubesModuleOptions } from 'microkubes-nestjs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    return { open: true };
  }
}

const keysDir = mkdtempSync(join(tmpdir(), 'consumer-keys-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
writeFileSync(join(keysDir, 'default.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
const options: MicrokubesModuleOptions = { keysDir, watchKeys: false };

@Module({ imports: [MicrokubesModule.forRoot(options)], controllers: [HelloController] })
class AppModule {}

/** A sign-in token as jwt-issuer mints it (RS512). */
function token(): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'RS512', typ: 'JWT' })}.${b64({ iss: 'Microkubes JWT Authority', sub: 'u1', userId: 'u1', username: 'jane@example.com', roles: 'user', exp: now + 60, iat: now })}`;
  return `${data}.${sign('sha512', Buffer.from(data), privateKey).toString('base64url')}`;
}

/** No top-level await: the CommonJS build has none. */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const anonymous = await fetch(`${url}/hello`);
  const signedIn = await fetch(`${url}/hello`, { headers: { authorization: `Bearer ${token()}` } });
  const body = (await signedIn.json()) as { message: string };
  await app.close();
  if (anonymous.status !== 401 || signedIn.status !== 200 || body.message !== 'Hello jane@example.com') {
    throw new Error(`/hello answered ${anonymous.status} without a token and ${signedIn.status} ${JSON.stringify(body)} with one`);
  }
  console.log(`consumer (${typeof require === 'function' ? 'CommonJS' : 'ESM'}): 401 without a token, 200 with one`);
}

main().catch((error: unknown) => {
  console.error(`consumer: ${(error as Error).message}`);
  process.exit(1);
});
