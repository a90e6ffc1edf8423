import { IntrinsicException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACL_ACTION_KEY } from '../acl/acl-action.decorator.js';
import type { Auth } from '../auth/auth.js';
import { callerHolder, callerOf, graphqlRequest, rememberCaller } from './call-callers.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

/** What of graphql-js's GraphQLResolveInfo a guard reads. */
interface ResolveInfo {
  fieldName: string;
  parentType: { name: string };
  operation: { operation: 'query' | 'mutation' | 'subscription' };
}

/** A graphql-ws connection, as `microkubes-nestjs/graphql`'s context hands it to the guards. */
export interface GraphqlConnection {
  close(code: number, reason: string): void;
}

/**
 * A refusal as GraphQL answers it: an error whose `extensions.code` is `UNAUTHENTICATED` or
 * `FORBIDDEN` (graphql-js carries an error's own `extensions` into the response), with the message
 * HTTP would give; no stack frames. Nest does not log it as an unexpected error.
 */
export class GraphqlRefusal extends IntrinsicException {
  readonly extensions: { code: 'UNAUTHENTICATED' | 'FORBIDDEN' };

  constructor(refusal: Refusal) {
    super(refusal.message);
    this.name = 'GraphqlRefusal';
    this.extensions = { code: refusal.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' };
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * GraphQL (@nestjs/graphql with Apollo or Mercurius): the credentials of the HTTP request behind
 * the operation (or of a subscription's graphql-ws connection), the caller kept on that request,
 * so that 50 guarded fields of one operation make one verification. Policies judge
 * `graphql:<Type>.<field>`, a mutation's fields as `api:write`, the rest as `api:read`. Imports
 * nothing of GraphQL: a resolver's arguments are `[root, args, context, info]`.
 */
export class GraphqlTransport implements TransportAdapter {
  private readonly reflector = new Reflector();

  caller(context: ExecutionContext): Auth | undefined {
    return callerOf(context);
  }

  remember(context: ExecutionContext, auth: Auth): void {
    rememberCaller(context, auth);
  }

  holder(context: ExecutionContext): object | undefined {
    return callerHolder(context);
  }

  credentials(context: ExecutionContext): Credentials {
    const info = this.info(context);
    return {
      headers: (graphqlRequest(context.getArgByIndex(2))?.headers ?? {}) as Credentials['headers'],
      from: `graphql ${info?.operation.operation ?? 'operation'} ${info ? `${info.parentType.name}.${info.fieldName}` : ''}`.trim(),
    };
  }

  passesUnauthenticated(): boolean {
    return false;
  }

  target(context: ExecutionContext): AccessTarget {
    const info = this.info(context);
    const declared = this.reflector.getAllAndOverride<string | undefined>(ACL_ACTION_KEY, [context.getHandler(), context.getClass()]);
    return {
      resource: info ? `graphql:${info.parentType.name}.${info.fieldName}` : undefined,
      action: declared ?? (info?.operation.operation === 'mutation' ? 'api:write' : 'api:read'),
      facts: context.getArgByIndex<Record<string, unknown> | undefined>(1),
    };
  }

  callKey(context: ExecutionContext): object | undefined {
    return this.info(context);
  }

  async refuse(context: ExecutionContext, refusal: Refusal): Promise<never> {
    // A subscription's connection: closed, 4401 without valid credentials, 4403 when forbidden.
    const connection = (context.getArgByIndex<{ connection?: GraphqlConnection } | undefined>(2))?.connection;
    connection?.close(refusal.status === 401 ? 4401 : 4403, refusal.message);
    throw new GraphqlRefusal(refusal);
  }

  private info(context: ExecutionContext): ResolveInfo | undefined {
    const info = context.getArgByIndex<ResolveInfo | undefined>(3);
    return info && typeof info.fieldName === 'string' ? info : undefined;
  }
}
