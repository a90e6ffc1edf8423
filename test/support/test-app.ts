import 'reflect-metadata';
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { connect, createServer } from 'node:net';

export type HttpPlatform = 'express' | 'fastify';
export const PLATFORMS: HttpPlatform[] = ['express', 'fastify'];

/** Every line the app logged, so that tests can check what is (and is not) logged. */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) { this.lines.push(String(message)); }
  error(message: unknown) { this.lines.push(String(message)); }
  warn(message: unknown) { this.lines.push(String(message)); }
  debug(message: unknown) { this.lines.push(String(message)); }
  verbose(message: unknown) { this.lines.push(String(message)); }
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  logger: RecordingLogger;
  close(): Promise<void>;
}

/** Starts a real Nest app on loopback (on `port`, default any free one), on Express or Fastify, and returns its base URL. */
export async function startApp(
  platform: HttpPlatform,
  metadata: ModuleMetadata,
  port = 0,
  options: { bodyParser?: boolean; globalPrefix?: string; setup?: (app: INestApplication) => void; microservices?: object[] } = {},
): Promise<RunningApp> {
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  const appOptions = { bodyParser: options.bodyParser ?? true };
  const app: INestApplication =
    platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), appOptions) : moduleRef.createNestApplication(appOptions);
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  options.setup?.(app);
  app.useLogger(logger);
  // A hybrid app, as main.ts makes the sample: message transports behind the app's guards.
  for (const microservice of options.microservices ?? []) app.connectMicroservice(microservice, { inheritAppConfig: true });
  if (options.microservices?.length) await app.startAllMicroservices();
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, logger, close: () => app.close() };
}

/** Starts an app, runs `run` against it, and closes it whatever happens. */
export async function withRunningApp(platform: HttpPlatform, metadata: ModuleMetadata, run: (app: RunningApp) => Promise<void>): Promise<void> {
  const app = await startApp(platform, metadata);
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

/** A port that was free a moment ago, for apps that must know their own URL before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function getJson<T = any>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

/** One raw request, so that the request target goes out exactly as written (absolute form, `#`). */
export function rawStatus(url: string, method: string, target: string, token?: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const authorization = token ? `Authorization: Bearer ${token}\r\n` : '';
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\n${authorization}Connection: close\r\n\r\n`);
    });
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString()));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

export interface RawResponse {
  status: number;
  body: any;
}

/**
 * One request written byte for byte on a socket, so that the request target goes out exactly as
 * given (encoded bytes, dot segments, absolute form), which fetch would normalise first.
 */
export function rawRequest(url: string, method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const lines = Object.entries({ Host: hostname, ...headers, Connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(Buffer.from(`${method} ${target} HTTP/1.1\r\n${lines}\r\n`, 'latin1')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      const response = Buffer.concat(chunks).toString();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      const text = response.slice(response.indexOf('\r\n\r\n') + 4);
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // chunked or not JSON: keep the text
      }
      resolve({ status, body });
    });
    socket.on('error', reject);
  });
}
