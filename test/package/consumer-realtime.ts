import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Auth, ConnectionAuthenticator, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule } from 'microkubes-nestjs';
import { graphqlWsAuthentication } from 'microkubes-nestjs/graphql';
import { MicrokubesIoAdapter } from 'microkubes-nestjs/socket.io';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';
import { io } from 'socket.io-client';

/** A consumer with GraphQL (Apollo, graphql-ws) and a socket.io gateway: the optional entry points, strictly typed. */
@Resolver()
@UseGuards(MicrokubesAuthGuard)
class HelloResolver {
  @Query(() => String)
  hello(@CurrentAuth() auth: Auth): string {
    return `Hello ${auth.username}`;
  }

  @Subscription(() => String)
  async *greetings(): AsyncIterableIterator<{ greetings: string }> {
    yield { greetings: 'hi' };
  }
}

@WebSocketGateway()
@UseGuards(MicrokubesAuthGuard)
class HelloGateway {
  @SubscribeMessage('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { event: 'hello', data: `Hello ${auth.username}` };
  }
}

const kit = MicrokubesTestingKit.create();

@Module({
  imports: [
    MicrokubesModule.forRoot({ keysDir: kit.keysDir, watchKeys: false }),
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      inject: [ConnectionAuthenticator],
      useFactory: (connections: ConnectionAuthenticator) => ({
        autoSchemaFile: true,
        subscriptions: { 'graphql-ws': graphqlWsAuthentication(connections) },
      }),
    }),
  ],
  providers: [HelloResolver, HelloGateway],
})
class AppModule {}

function socketAnswer(url: string, auth: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(url, { auth, transports: ['websocket'], reconnection: false });
    socket.on('connect_error', (error) => resolve(`refused: ${error.message}`));
    socket.on('connect', () => socket.emit('hello'));
    socket.on('hello', (text: string) => {
      socket.close();
      resolve(text);
    });
  });
}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(new MicrokubesIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const query = async (headers: Record<string, string>) =>
    (await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ hello }' }) })).json()) as {
      data?: { hello: string } | null;
      errors?: Array<{ extensions?: { code?: string } }>;
    };
  const anonymous = await query({});
  const signedIn = await query(kit.bearer({ username: 'jane@example.com' }).headers);
  const refusedSocket = await socketAnswer(url, {});
  const socket = await socketAnswer(url, kit.socketAuth({ username: 'jane@example.com' }));
  await app.close();
  kit.remove();
  const results = { graphqlAnonymous: anonymous.errors?.[0]?.extensions?.code, graphql: signedIn.data?.hello, refusedSocket, socket };
  const expected = { graphqlAnonymous: 'UNAUTHENTICATED', graphql: 'Hello jane@example.com', refusedSocket: 'refused: missing bearer token', socket: 'Hello jane@example.com' };
  if (JSON.stringify(results) !== JSON.stringify(expected)) throw new Error(`got ${JSON.stringify(results)}`);
  console.log('consumer (GraphQL, socket.io): UNAUTHENTICATED and a refused handshake without a token, answers with one');
}

main().catch((error: unknown) => {
  console.error(`consumer: ${(error as Error).message}`);
  process.exit(1);
});
