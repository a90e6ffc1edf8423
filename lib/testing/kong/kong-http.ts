import { randomUUID } from 'node:crypto';

/** What a handler answers; the emulator writes it as JSON (or nothing, for 204). */
export interface KongReply {
  status: number;
  body?: unknown;
}

export type JsonObject = Record<string, unknown>;

export interface KongRequest {
  method: string;
  /** The path below the admin URL's prefix, without the query string. */
  path: string;
  params: string[];
  body: JsonObject;
}

export type KongHandler = (request: KongRequest) => KongReply;

export interface KongRoute {
  method: string;
  pattern: RegExp;
  handler: KongHandler;
}

/** `/services/{x}` style routes: each `{}` takes one path segment, URL-decoded. */
export function route(method: string, template: string, handler: KongHandler): KongRoute {
  const source = template.replace(/\//g, '\\/').replace(/\{\}/g, '([^/]+)');
  return { method, pattern: new RegExp(`^${source}\\/?$`), handler };
}

export const reply = (status: number, body?: unknown): KongReply => ({ status, body });
export const notFound = (): KongReply => reply(404, { message: 'Not found' });
export const methodNotAllowed = (): KongReply => reply(405, { message: 'Method not allowed' });

export const uuid = () => randomUUID();
export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
export const nowSeconds = () => Math.floor(Date.now() / 1000);
