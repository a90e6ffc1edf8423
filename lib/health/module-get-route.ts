import type { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';

/** The request as both adapters hand it over (Express `req`, Fastify `request`). */
export interface RouteRequest {
  headers: IncomingHttpHeaders;
}

export interface RouteAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * A GET (and HEAD) route of the module's own, registered on the HTTP adapter itself like
 * @nestjs/swagger's: Express and Fastify alike, outside Nest's guards and global prefix, so that
 * probes reach it at the path they are given, whatever the app's guards. Where the app has a GET
 * route of that path already, the app's answers, on both adapters, and a warning says so.
 */
export function serveModuleGetRoute(
  adapter: AbstractHttpAdapter,
  path: string,
  answer: (request: RouteRequest, response: object) => Promise<RouteAnswer>,
  logger: Logger,
  /** The option that sets the path, named when the app has the path already. */
  option: string,
): boolean {
  if (appHasGetRoute(adapter, path)) {
    logger.warn(`GET ${path} is a route of the app: it answers there, not the module's (set ${option}, or turn it off)`);
    return false;
  }
  adapter.get(path, (request: RouteRequest, response: object) => {
    answer(request, response)
      .catch((error: unknown): RouteAnswer => {
        logger.error(`GET ${path} failed: ${(error as Error)?.message ?? error}`);
        return { status: 500, body: { code: 500, message: 'internal error' } };
      })
      .then(({ status, body, headers }) => {
        adapter.setHeader(response, 'Cache-Control', 'no-store');
        for (const [name, value] of Object.entries(headers ?? {})) adapter.setHeader(response, name, value);
        adapter.reply(response, body, status);
      })
      .catch((error: unknown) => logger.error(`GET ${path}: cannot answer: ${(error as Error)?.message ?? error}`));
  });
  return true;
}

/**
 * Fastify refuses a second route on a path and Express would never reach it: ask each first.
 * Express runs the app's routes first, by pattern: `/:code` answers `/healthcheck` too.
 */
function appHasGetRoute(adapter: AbstractHttpAdapter, path: string): boolean {
  const instance = adapter.getInstance<{
    hasRoute?: (route: { method: string; url: string }) => boolean;
    router?: { stack?: Array<{ route?: { path?: unknown; methods?: Record<string, boolean> }; match?: (path: string) => unknown }> };
  }>();
  if (typeof instance.hasRoute === 'function') return instance.hasRoute({ method: 'GET', url: path });
  return (instance.router?.stack ?? []).some(
    (layer) => layer.route?.methods?.get === true && (layer.route.path === path || (typeof layer.match === 'function' && !!layer.match(path))),
  );
}
