/**
 * `microkubes-nestjs/graphql`: graphql-ws subscriptions with the module's security at
 * `connection_init`. Queries and mutations need nothing from here: the guards read their HTTP
 * request. Needs `@nestjs/graphql` with a driver, optional peers of the package.
 * @module
 */
export {
  graphqlWsAuthentication,
  type GraphqlWsAuthentication,
  type GraphqlWsAuthenticationOptions,
  type GraphqlWsConnection,
  type GraphqlWsContext,
} from './graphql-ws-authentication.js';
export { GRAPHQL_WS_CONNECTION, type GraphqlConnection } from '../transports/graphql.transport.js';
