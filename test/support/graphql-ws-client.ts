import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscribed {
  values: string[];
  /** The first value, or the close that came instead. */
  first: Promise<string | Closed>;
  /** How the connection ended. */
  closed: Promise<Closed>;
  client: Client;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A real graphql-ws client, subscribed to `query` with `connectionParams`; it never retries. */
export function subscribe(url: string, connectionParams: Record<string, unknown> | undefined, query = 'subscription { ticks }', headers?: Record<string, string>): Subscribed {
  let resolveClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (resolveClosed = resolve));
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: headers ? HeaderWebSocket : WebSocket,
    connectionParams,
    retryAttempts: 0,
    on: { closed: (event) => resolveClosed({ code: (event as Closed).code, reason: String((event as Closed).reason) }) },
  });
  const values: string[] = [];
  let resolveFirst!: (value: string | Closed) => void;
  const first = new Promise<string | Closed>((resolve) => (resolveFirst = resolve));
  void closed.then(resolveFirst);
  client.subscribe<{ ticks?: string; adminTicks?: string }>(
    { query },
    {
      next: ({ data }) => {
        const value = data?.ticks ?? data?.adminTicks;
        if (value !== undefined) {
          values.push(value);
          resolveFirst(value);
        }
      },
      error: () => {},
      complete: () => {},
    },
  );
  return { values, first, closed, client };
}

export const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms))]);

