import { io } from 'socket.io-client';
import WebSocket from 'ws';

export type SocketKind = 'socket.io' | 'ws';

/** How a connection attempt ended: open, or refused (socket.io's connect_error, ws' HTTP answer or close). */
export type Opened = { open: true } | { open: false; status?: number; code?: number; message: string; headers?: Record<string, string | string[] | undefined> };

export interface Received {
  event: string;
  data: any;
}

/** A real client of either library, with one face for the tests. */
export interface TestSocket {
  opened: Promise<Opened>;
  /** Every `{ event, data }` the server sent, in order. */
  received: Received[];
  send(event: string, data?: unknown): void;
  /** The next message of `event` (the `exception` event included). */
  next(event: string, timeoutMs?: number): Promise<any>;
  /** How the server ended the connection: ws' close code and reason, socket.io's disconnect reason. */
  ended: Promise<{ code?: number; reason: string }>;
  close(): void;
}

export interface Presented {
  /** socket.io's `auth` (ignored by ws). */
  auth?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Appended to the URL, as `?<query>`. */
  query?: string;
}

export function connectSocket(kind: SocketKind, baseUrl: string, presented: Presented = {}): TestSocket {
  return kind === 'socket.io' ? socketIoClient(baseUrl, presented) : wsClient(baseUrl, presented);
}

function waiter(received: Received[], subscribe: (listener: (message: Received) => void) => void) {
  const listeners = new Set<(message: Received) => void>();
  subscribe((message) => {
    received.push(message);
    for (const listener of listeners) listener(message);
  });
  return (event: string, timeoutMs = 5_000) =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`no ${event} within ${timeoutMs} ms; got ${JSON.stringify(received.map((m) => m.event))}`));
      }, timeoutMs);
      const listener = (message: Received) => {
        if (message.event !== event) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(message.data);
      };
      listeners.add(listener);
    });
}

function socketIoClient(baseUrl: string, presented: Presented): TestSocket {
  const socket = io(`${baseUrl}${presented.query ? `?${presented.query}` : ''}`, {
    auth: presented.auth,
    extraHeaders: presented.headers,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const received: Received[] = [];
  const next = waiter(received, (listener) => socket.onAny((event: string, data: unknown) => listener({ event, data })));
  return {
    opened: new Promise((resolve) => {
      socket.once('connect', () => resolve({ open: true }));
      socket.once('connect_error', (error: Error & { data?: { code?: number; message?: string } }) =>
        resolve({ open: false, code: error.data?.code, message: error.message }),
      );
    }),
    received,
    send: (event, data) => socket.emit(event, data),
    next,
    ended: new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ reason }))),
    close: () => socket.close(),
  };
}

function wsClient(baseUrl: string, presented: Presented): TestSocket {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/${presented.query ? `?${presented.query}` : ''}`, { headers: presented.headers });
  const received: Received[] = [];
  const next = waiter(received, (listener) => socket.on('message', (raw) => listener(JSON.parse(raw.toString()) as Received)));
  socket.on('error', () => {});
  const ended = new Promise<{ code?: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    opened: new Promise((resolve) => {
      socket.once('open', () => resolve({ open: true }));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          const parsed = JSON.parse(body) as { code: number; message: string };
          resolve({ open: false, status: response.statusCode, code: parsed.code, message: parsed.message, headers: response.headers });
        });
      });
      void ended.then(({ code, reason }) => resolve({ open: false, code, message: reason }));
    }),
    received,
    send: (event, data) => socket.send(JSON.stringify({ event, data })),
    next,
    ended,
    close: () => socket.close(),
  };
}
