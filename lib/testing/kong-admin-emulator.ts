import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Kong014State } from './kong/kong-014.js';
import { Kong3State } from './kong/kong-3x.js';
import { reply, uuid, type JsonObject, type KongReply, type KongRoute } from './kong/kong-http.js';

export interface KongEmulatorOptions {
  /** Kong's version, as `GET /` tells it. `0.x` serves `/apis`; later ones services and routes. Default 3.9.1. */
  version?: string;
  /** A path prefix in front of the admin API, as behind an ingress (`/admin-api`). */
  prefix?: string;
  /** When set, every call needs `Kong-Admin-Token: <token>`, as with Kong Enterprise RBAC. */
  adminToken?: string;
}

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

const ENABLED_PLUGINS = ['acl', 'basic-auth', 'correlation-id', 'cors', 'file-log', 'http-log', 'ip-restriction', 'jwt', 'key-auth', 'oauth2', 'prometheus', 'rate-limiting', 'request-transformer', 'response-transformer'];

/**
 * A stand-in for Kong's admin API, which cannot run here: a real HTTP server on loopback that
 * answers as Kong 0.14 (`/apis`) or Kong 3.x (services, routes, upstreams, targets, plugins) do,
 * with fault switches for outages, 5xx answers and slow responses.
 */
export class KongAdminEmulator {
  readonly legacy: boolean;
  readonly kong3 = new Kong3State(ENABLED_PLUGINS);
  readonly kong014 = new Kong014State(ENABLED_PLUGINS);
  readonly calls: RecordedCall[] = [];
  private readonly routes: KongRoute[];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private failures: { remaining: number; status: number } = { remaining: 0, status: 503 };
  private delayMs = 0;
  private port = 0;
  private interceptors: Array<(call: RecordedCall) => void> = [];

  private constructor(private readonly options: KongEmulatorOptions) {
    this.legacy = (options.version ?? '3.9.1').startsWith('0.');
    this.routes = this.legacy ? this.kong014.routeTable() : this.kong3.routeTable();
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: KongEmulatorOptions = {}): Promise<KongAdminEmulator> {
    const emulator = new KongAdminEmulator(options);
    await emulator.listen();
    return emulator;
  }

  /** The admin URL to configure, prefix included. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.options.prefix ?? ''}`;
  }

  /** Refuses connections for `ms` milliseconds, as a Kong that is still starting. */
  async downFor(ms: number): Promise<void> {
    await this.close();
    setTimeout(() => void this.listen(), ms).unref();
  }

  /** Refuses connections from now on. */
  outage(): Promise<void> {
    return this.close();
  }

  /** Answers the next `count` calls with `status` (default 503), as Kong does when its database is away. */
  failNext(count: number, status = 503): void {
    this.failures = { remaining: count, status };
  }

  /** Runs `listener` before each call is handled: to change Kong's state at a chosen moment. */
  beforeEachCall(listener: (call: RecordedCall) => void): void {
    this.interceptors.push(listener);
  }

  /** Delays every answer by `ms` milliseconds. */
  slow(ms: number): void {
    this.delayMs = ms;
  }

  stop(): Promise<void> {
    return this.close();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://kong');
    const prefix = this.options.prefix ?? '';
    let body: unknown;
    let answer: KongReply;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const call = { method: request.method ?? 'GET', path: url.pathname, headers: request.headers, body };
    this.calls.push(call);
    for (const listener of this.interceptors) listener(call);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));

    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      answer = reply(this.failures.status, { message: 'An unexpected error occurred' });
    } else if (this.options.adminToken && request.headers['kong-admin-token'] !== this.options.adminToken) {
      answer = reply(401, { message: 'Invalid credentials. Token or User credentials required' });
    } else if (!url.pathname.startsWith(prefix)) {
      answer = reply(404, { message: 'Not found' });
    } else if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      answer = reply(400, { message: 'Cannot parse JSON body' });
    } else {
      answer = this.dispatch(request.method ?? 'GET', url.pathname.slice(prefix.length) || '/', body as JsonObject);
    }
    if (answer.status === 204) {
      response.writeHead(204).end();
    } else {
      response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', server: `kong/${this.options.version ?? '3.9.1'}` });
      response.end(JSON.stringify(answer.body ?? {}));
    }
  }

  private dispatch(method: string, path: string, body: JsonObject): KongReply {
    if (path === '/' && method === 'GET') return reply(200, this.information());
    let pathMatched = false;
    for (const candidate of this.routes) {
      const match = candidate.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (candidate.method !== method) continue;
      const params = match.slice(1).map((segment) => decodeURIComponent(segment));
      return candidate.handler({ method, path, params, body });
    }
    return pathMatched ? reply(405, { message: 'Method not allowed' }) : reply(404, { message: 'Not found' });
  }

  private information(): JsonObject {
    const version = this.options.version ?? '3.9.1';
    return {
      tagline: 'Welcome to kong',
      version,
      hostname: 'kong-emulator',
      node_id: uuid(),
      lua_version: 'LuaJIT 2.1.0-beta3',
      plugins: { available_on_server: Object.fromEntries(ENABLED_PLUGINS.map((name) => [name, true])), enabled_in_cluster: [] },
      configuration: { admin_listen: ['127.0.0.1:8001'], database: this.legacy ? 'cassandra' : 'postgres' },
    };
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
