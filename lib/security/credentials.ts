import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a caller presents, wherever the call came from: the headers the security chain reads its
 * token and session cookie from (an HTTP request's own; for GraphQL over WebSockets the
 * connection's `connectionParams`; for a socket its handshake), and where they were found, for logs.
 */
export interface Credentials {
  headers: IncomingHttpHeaders;
  /** `GET /hello`, `graphql query Query.todos`, `socket.io handshake`... Never a token. */
  from: string;
}
