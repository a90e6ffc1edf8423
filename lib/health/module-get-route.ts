import type { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';

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
 * probes reach it at the path they are given, whatever the app's guards.
 */
export function serveModuleGetRoute(
  adapter: AbstractHttpAdapter,
  path: string,
  answer: (request: RouteRequest, response: object) => Promise<RouteAnswer>,
  logger: Logger,
  /** The option that sets the path, named when it is taken. */
  option: string,
): void {
  const register = () => adapter.get(path, (request: RouteRequest, response: object) => {
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
  try {
    register();
  } catch (error) {
    // Fastify refuses a second route on a path; Express would let the app's own one answer.
    throw new MicrokubesOptionsError(option, `GET ${path} is a route of the app already: give this one another path, or turn it off (${(error as Error).message})`);
  }
}
