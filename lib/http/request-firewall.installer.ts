import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { judgeRequestTarget, type FirewallRefusal } from './request-firewall.js';

/** Characters of a refused target that go into the log, JSON-quoted. */
const LOGGED_TARGET_LENGTH = 200;

interface FastifyInstance {
  addHook(name: 'onRequest', hook: (request: { url: string; method: string }, reply: FastifyReply, done: () => void) => void): void;
}
interface FastifyReply {
  code(status: number): FastifyReply;
  header(name: string, value: string): FastifyReply;
  send(body: string): void;
}

/**
 * Puts the request firewall in front of the app, mounted when the module's middleware is, before
 * the app's routes and the module's own (health, version, SAML): on Express a middleware of the
 * app, on Fastify an `onRequest` hook (middie, which Nest's middleware runs on, costs a Fastify app
 * a few percent of its throughput). A refused request is answered 400 (or 414) in the platform's
 * `{code, message}` format; no guard, pipe, interceptor or handler sees it.
 */
@Injectable()
export class RequestFirewallInstaller {
  private readonly logger = new Logger('MicrokubesFirewall');

  constructor(
    @Inject(MICROKUBES_OPTIONS) private readonly options: ResolvedMicrokubesOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  install(): void {
    const adapter = this.adapterHost.httpAdapter;
    // No HTTP server: a microservice or a standalone application context.
    if (!adapter) return;
    if (!this.options.security.firewall) {
      this.logger.warn('security.firewall is off: ambiguous request paths (%2F, dot segments, //, ...) reach the routes');
      return;
    }
    if (adapter.getType() === 'fastify') {
      adapter.getInstance<FastifyInstance>().addHook('onRequest', (request, reply, done) => {
        const refusal = this.judge(request.url, request.method);
        if (!refusal) return done();
        reply.code(refusal.status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(body(refusal));
      });
      return;
    }
    adapter.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
      const refusal = this.judge(request.url ?? '', request.method ?? '');
      if (!refusal) return next();
      const text = body(refusal);
      response.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      response.end(text);
    });
  }

  private judge(target: string, method: string): FirewallRefusal | undefined {
    const { firewall, maxPathLength } = this.options.security;
    const refusal = judgeRequestTarget(target, firewall!, maxPathLength);
    if (refusal) this.logger.debug(`Refused ${method} ${JSON.stringify(target.slice(0, LOGGED_TARGET_LENGTH))}: ${refusal.message} (${refusal.rule})`);
    return refusal;
  }
}

function body(refusal: FirewallRefusal): string {
  return JSON.stringify({ code: refusal.status, message: refusal.message });
}
