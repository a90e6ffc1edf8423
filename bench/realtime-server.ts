import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, UseGuards, type CanActivate, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Context, Field, GraphQLModule, Int, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule } from '../lib/index.js';
import { MicrokubesIoAdapter } from '../lib/socket.io/index.js';

/**
 * One app of the realtime benchmark, in a process of its own:
 * `node realtime-server.js <app> <port> <keysDir>`, app one of `graphql`, `graphql-no-cache`,
 * `graphql-by-hand` (a context function that verifies the token itself) or `socket.io`.
 */
const [appKind, port, keysDir] = process.argv.slice(2) as ['graphql' | 'graphql-no-cache' | 'graphql-by-hand' | 'socket.io', string, string];

@ObjectType()
class Item {
  @Field(() => Int) n!: number;
}

@Resolver()
class OpenResolver {
  @Query(() => String)
  open(): string {
    return 'hello';
  }

  @Query(() => [Item])
  items(): Item[] {
    return Array.from({ length: 50 }, (_, n) => ({ n }));
  }
}

@Resolver(() => Item)
class ItemFields {
  @ResolveField(() => String)
  plain(@Parent() item: Item): string {
    return `#${item.n}`;
  }
}

@Resolver()
@UseGuards(MicrokubesAuthGuard)
class GuardedResolver {
  @Query(() => String)
  whoami(@CurrentAuth() auth: Auth): string {
    return auth.username;
  }
}

@Resolver(() => Item)
@UseGuards(MicrokubesAuthGuard)
class GuardedItemFields {
  @ResolveField(() => String)
  owner(@Parent() item: Item, @CurrentAuth() auth: Auth): string {
    return `${auth.userId}#${item.n}`;
  }
}

/** A guard that allows every call: what Nest's guard machinery costs by itself, on GraphQL. */
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Resolver()
@UseGuards(AllowAll)
class AllowAllResolver {
  @Query(() => String)
  allowed(): string {
    return 'hello';
  }
}

/** What a user writes by hand without the module: the token verified in Apollo's context function. */
@Resolver()
class ByHandResolver {
  @Query(() => String)
  whoami(@Context('user') user: { username: string } | undefined): string {
    if (!user) throw new Error('unauthenticated');
    return user.username;
  }
}

@WebSocketGateway({ namespace: 'open' })
class OpenGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return data;
  }
}

@WebSocketGateway({ namespace: 'guarded' })
@UseGuards(MicrokubesAuthGuard)
class GuardedGateway {
  @SubscribeMessage('echo')
  echo(@CurrentAuth('userId') userId: string, @MessageBody() data: unknown) {
    return userId ? data : null;
  }
}

function graphqlModule(byHand: boolean): DynamicModule {
  const publicKey = readFileSync(join(keysDir, 'default.pub'));
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    autoSchemaFile: true,
    fieldResolverEnhancers: ['guards'],
    ...(byHand && {
      context: ({ req }: { req: { headers: Record<string, string | undefined> } }) => {
        const header = req.headers.authorization;
        try {
          return { user: header?.startsWith('Bearer ') ? jwt.verify(header.slice(7), publicKey, { algorithms: ['RS512'] }) : undefined };
        } catch {
          return { user: undefined };
        }
      },
    }),
  });
}

function appModule(): DynamicModule {
  const microkubes = MicrokubesModule.forRoot({ keysDir, watchKeys: false, ...(appKind === 'graphql-no-cache' && { security: { tokenCache: false } }) });
  switch (appKind) {
    case 'socket.io':
      return { module: AppModule, imports: [microkubes], providers: [OpenGateway, GuardedGateway] };
    case 'graphql-by-hand':
      return { module: AppModule, imports: [graphqlModule(true)], providers: [ByHandResolver, OpenResolver, ItemFields] };
    default:
      return { module: AppModule, imports: [microkubes, graphqlModule(false)], providers: [OpenResolver, ItemFields, GuardedResolver, GuardedItemFields, AllowAllResolver] };
  }
}

@Module({})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(appModule(), { logger: ['error'] });
  if (appKind === 'socket.io') app.useWebSocketAdapter(new MicrokubesIoAdapter(app));
  await app.listen(Number(port), '127.0.0.1');
  process.send?.('ready');
}

void main();
