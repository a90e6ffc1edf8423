import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Inject, Injectable, Scope, UseGuards, type DynamicModule, type Type } from '@nestjs/common';
import { Args, Field, GraphQLModule, ID, Int, Mutation, ObjectType, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import {
  AccessControlGuard,
  AclAction,
  Auth,
  ConnectionAuthenticator,
  CurrentAuth,
  MICROKUBES_AUTH,
  MicrokubesAuthGuard,
  Public,
  Roles,
  RolesGuard,
  SkipAcl,
  UseRoles,
} from '../../lib/index.js';
import { graphqlWsAuthentication } from '../../lib/graphql/index.js';
import type { HttpPlatform } from './test-app.js';

export type GraphqlDriver = 'apollo' | 'mercurius';
export const GRAPHQL_SETUPS: Array<{ name: string; platform: HttpPlatform; driver: GraphqlDriver }> = [
  { name: 'Apollo on Express', platform: 'express', driver: 'apollo' },
  { name: 'Apollo on Fastify', platform: 'fastify', driver: 'apollo' },
  { name: 'Mercurius on Fastify', platform: 'fastify', driver: 'mercurius' },
];

@ObjectType()
export class Caller {
  @Field(() => ID) userId!: string;
  @Field(() => String) username!: string;
  @Field(() => [String]) roles!: string[];
}

@ObjectType()
export class Todo {
  @Field(() => ID) id!: string;
  @Field(() => String) title!: string;
  @Field(() => String) owner!: string;
}

@ObjectType()
export class Item {
  @Field(() => Int) n!: number;
}

@Injectable({ scope: Scope.REQUEST })
export class GraphqlCallerService {
  constructor(@Inject(MICROKUBES_AUTH) private readonly auth: Auth) {}

  userId(): string {
    return this.auth.userId;
  }
}

/** The resolvers the GraphQL tests run: guarded at class level, with roles, grants and policies on fields. */
@Resolver()
@UseGuards(MicrokubesAuthGuard, RolesGuard, AccessControlGuard)
export class TodoResolver {
  @Query(() => Caller)
  whoami(@CurrentAuth() auth: Auth): Caller {
    return { userId: auth.userId, username: auth.username, roles: [...auth.roles] };
  }

  @Query(() => [Todo])
  todos(@CurrentAuth() auth: Auth): Todo[] {
    return [{ id: '1', title: 'write tests', owner: auth.username }];
  }

  @Query(() => String)
  @Roles('admin')
  adminReport(): string {
    return 'report';
  }

  @Query(() => String)
  @UseRoles({ resource: 'reports', action: 'read', possession: 'any' })
  @SkipAcl()
  grantedReport(): string {
    return 'granted';
  }

  @Mutation(() => Todo)
  addTodo(@Args('title', { type: () => String }) title: string, @CurrentAuth() auth: Auth): Todo {
    return { id: '2', title, owner: auth.username };
  }

  @Mutation(() => Todo)
  @AclAction('api:read')
  @SkipAcl()
  touchTodo(@Args('id', { type: () => ID }) id: string, @CurrentAuth() auth: Auth): Todo {
    return { id, title: 'touched', owner: auth.username };
  }

  @Query(() => String)
  @Public()
  ping(): string {
    return 'pong';
  }

  @Query(() => [Item])
  @SkipAcl()
  items(): Item[] {
    return Array.from({ length: 50 }, (_, n) => ({ n }));
  }
}

/** A field resolver under the guard: with `fieldResolverEnhancers: ['guards']`, it runs per item. */
@Resolver(() => Item)
@UseGuards(MicrokubesAuthGuard)
export class ItemResolver {
  @ResolveField(() => String)
  @SkipAcl()
  owner(@Parent() item: Item, @CurrentAuth() auth: Auth): string {
    return `${auth.userId}#${item.n}`;
  }
}

/** A guarded field of what queries and mutations return: judged as `graphql:Todo.audit`, a read, under a mutation too. */
@Resolver(() => Todo)
@UseGuards(MicrokubesAuthGuard)
export class TodoFieldResolver {
  @ResolveField(() => String)
  audit(@Parent() todo: Todo, @CurrentAuth() auth: Auth): string {
    return `${todo.id} seen by ${auth.userId}`;
  }
}

/** No class guard: secured by a method guard only. */
@Resolver()
export class MethodGuardResolver {
  @Query(() => String)
  @UseGuards(MicrokubesAuthGuard)
  @SkipAcl()
  methodGuarded(@CurrentAuth('username') username: string): string {
    return username;
  }

  @Query(() => String)
  unguarded(): string {
    return 'open';
  }
}

/** The caller through the REQUEST-scoped MICROKUBES_AUTH provider. */
@Resolver()
@UseGuards(MicrokubesAuthGuard)
export class ScopedResolver {
  constructor(private readonly caller: GraphqlCallerService) {}

  @Query(() => String)
  @SkipAcl()
  scopedUserId(): string {
    return this.caller.userId();
  }
}

/** A subscription that ticks every 50 ms with its caller, until the client leaves. */
@Resolver()
@UseGuards(MicrokubesAuthGuard, RolesGuard)
export class TickResolver {
  @Subscription(() => String, { resolve: (value: string) => value })
  @SkipAcl()
  ticks(@CurrentAuth() auth: Auth): AsyncIterableIterator<string> {
    return ticker(auth.userId);
  }

  @Subscription(() => String, { resolve: (value: string) => value })
  @Roles('admin')
  @SkipAcl()
  adminTicks(@CurrentAuth() auth: Auth): AsyncIterableIterator<string> {
    return ticker(auth.userId);
  }
}

async function* ticker(userId: string): AsyncIterableIterator<string> {
  for (let i = 0; ; i++) {
    yield `${userId}:${i}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const GRAPHQL_RESOLVERS: Type[] = [TodoResolver, TodoFieldResolver, ItemResolver, MethodGuardResolver, ScopedResolver, GraphqlCallerService];

/** GraphQLModule for a driver: code first, the schema in memory, guards on field resolvers. */
export function graphqlModule(driver: GraphqlDriver, options: { subscriptions?: boolean } = {}): DynamicModule {
  if (driver === 'mercurius') {
    return GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, fieldResolverEnhancers: ['guards'] });
  }
  if (!options.subscriptions) {
    return GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, fieldResolverEnhancers: ['guards'] });
  }
  return GraphQLModule.forRootAsync<ApolloDriverConfig>({
    driver: ApolloDriver,
    inject: [ConnectionAuthenticator],
    useFactory: (connections: ConnectionAuthenticator) => ({
      autoSchemaFile: true,
      fieldResolverEnhancers: ['guards'],
      subscriptions: { 'graphql-ws': graphqlWsAuthentication(connections) },
    }),
  });
}

export interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: string[] }>;
}

/** POSTs an operation, as a client does. */
export async function graphql(url: string, query: string, init: { token?: string; headers?: Record<string, string>; variables?: Record<string, unknown> } = {}): Promise<{ status: number; body: GraphqlResponse }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.token !== undefined && { authorization: `Bearer ${init.token}` }),
      ...init.headers,
    },
    body: JSON.stringify({ query, variables: init.variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlResponse };
}
