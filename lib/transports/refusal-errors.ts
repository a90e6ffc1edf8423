import { SecurityException } from '../security/security.exception.js';
import { GraphqlRefusal } from './graphql.transport.js';
import type { Refusal } from './transport-adapter.js';

/**
 * Each transport's error for a refusal, for code that must throw at once (a parameter decorator):
 * HTTP's SecurityException, GraphQL's GraphqlRefusal, and WsException once the WebSocket transport
 * has been loaded (it registers itself).
 */
const factories = new Map<string, (refusal: Refusal) => Error>([['graphql', (refusal) => new GraphqlRefusal(refusal)]]);

export function registerRefusalError(contextType: string, factory: (refusal: Refusal) => Error): void {
  factories.set(contextType, factory);
}

export function refusalError(contextType: string, refusal: Refusal): Error {
  return factories.get(contextType)?.(refusal) ?? new SecurityException(refusal.status, refusal.message);
}
