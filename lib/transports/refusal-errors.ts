import type { ExecutionContext } from '@nestjs/common';
import { SecurityException } from '../security/security.exception.js';
import { GraphqlRefusal } from './graphql.transport.js';
import type { Refusal } from './transport-adapter.js';

type RefusalErrorFactory = (refusal: Refusal, context: ExecutionContext) => Error;

/**
 * Each transport's error for a refusal, for code that must throw at once (a parameter decorator):
 * HTTP's SecurityException, GraphQL's GraphqlRefusal, and WsException and RpcException once their
 * transports have been loaded (they register themselves).
 */
const factories = new Map<string, RefusalErrorFactory>([['graphql', (refusal) => new GraphqlRefusal(refusal)]]);

export function registerRefusalError(contextType: string, factory: RefusalErrorFactory): void {
  factories.set(contextType, factory);
}

export function refusalError(context: ExecutionContext, refusal: Refusal): Error {
  return factories.get(context.getType())?.(refusal, context) ?? new SecurityException(refusal.status, refusal.message);
}
