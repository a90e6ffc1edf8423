import { IntrinsicException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACL_ACTION_KEY } from '../acl/acl-action.decorator.js';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { rawHeadersOf, repeatedTokenHeader, type UpgradeRequest } from '../security/token-credentials.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { graphqlRequest } from './call-callers.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

/** What of graphql-js's GraphQLResolveInfo a guard reads. */
interface ResolveInfo {
  fieldName: string;
  parentType: { name: string };
  operation: { operation: 'query' | 'mutation' | 'subscription' };
  /** `prev` is undefined for a field at the operation's root. */
  path?: { prev?: unknown };
}

/** A graphql-ws connection, as `microkubes-nestjs/graphql`'s context hands it to the guards. */
export interface GraphqlConnection {
  close(code: number, reason: string): void;
}

/**
 * Where graphqlWsAuthentication() puts a subscription context's connection: a key no app context
 * can hold by accident (an app's own `connection` may be its database), and the mark that the
 * context's credentials are the ones its connection was authenticated with.
 */
export const GRAPHQL_WS_CONNECTION = Symbol('microkubes-nestjs graphql-ws connection');

type GraphqlContext = { [GRAPHQL_WS_CONNECTION]?: GraphqlConnection } | undefined;

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
  readonly label = 'graphql';
  private readonly reflector = new Reflector();

  constructor(private readonly security: ResolvedSecurityOptions) {}

  /**
   * The headers of the request behind the operation. An operation over a WebSocket (a
   * subscription, or a query sent on a graphql-ws connection) is taken only from a context that
   * graphqlWsAuthentication() built, which holds the connection's token headers and no cookie:
   * any other context would hand the guard the upgrade request's cookies, which a browser sends
   * with a socket that any site's page opens (Mercurius' subscriptions, a context of the app's own).
   */
  credentials(context: ExecutionContext): Credentials | TokenRefusal {
    const info = this.info(context);
    const from = `graphql ${info?.operation.operation ?? 'operation'} ${info ? `${info.parentType.name}.${info.fieldName}` : ''}`.trim();
    const graphqlContext = context.getArgByIndex<GraphqlContext>(2);
    const request = graphqlRequest(graphqlContext) as (UpgradeRequest & { raw?: { rawHeaders?: unknown } }) | undefined;
    const headers = (request?.headers ?? {}) as Credentials['headers'];
    if (!graphqlContext?.[GRAPHQL_WS_CONNECTION] && (info?.operation.operation === 'subscription' || isUpgrade(headers))) {
      return new TokenRefusal('subscription not authenticated at its connection: use graphqlWsAuthentication() from microkubes-nestjs/graphql', 'missing');
    }
    const repeated = request && repeatedTokenHeader(this.security, { headers, rawHeaders: rawHeadersOf(request) });
    return repeated ?? { headers, from };
  }

  requestId(context: ExecutionContext): unknown {
    return graphqlRequest(context.getArgByIndex(2))?.headers?.['x-request-id'];
  }

  passesUnauthenticated(): boolean {
    return false;
  }

  target(context: ExecutionContext): AccessTarget {
    const info = this.info(context);
    const declared = this.reflector.getAllAndOverride<string | undefined>(ACL_ACTION_KEY, [context.getHandler(), context.getClass()]);
    return {
      resource: info ? `graphql:${info.parentType.name}.${info.fieldName}` : undefined,
      // A mutation's root fields write; the fields of what they return are read.
      action: declared ?? (info?.operation.operation === 'mutation' && info.path?.prev === undefined ? 'api:write' : 'api:read'),
      factsChosenByCaller: true,
      facts: context.getArgByIndex<Record<string, unknown> | undefined>(1),
    };
  }

  callKey(context: ExecutionContext): object | undefined {
    return this.info(context);
  }

  async refuse(context: ExecutionContext, refusal: Refusal): Promise<never> {
    // A subscription's connection: closed, 4401 without valid credentials, 4403 when forbidden.
    context.getArgByIndex<GraphqlContext>(2)?.[GRAPHQL_WS_CONNECTION]?.close(refusal.status === 401 ? 4401 : 4403, refusal.message);
    throw new GraphqlRefusal(refusal);
  }

  private info(context: ExecutionContext): ResolveInfo | undefined {
    const info = context.getArgByIndex<ResolveInfo | undefined>(3);
    return info && typeof info.fieldName === 'string' ? info : undefined;
  }
}

/** A WebSocket upgrade request (`Upgrade: websocket`), as the request behind an operation. */
function isUpgrade(headers: Credentials['headers']): boolean {
  return typeof headers.upgrade === 'string' && headers.upgrade.toLowerCase() === 'websocket';
}
