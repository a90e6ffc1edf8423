import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { judgeRequestTarget, type FirewallRules } from './request-firewall.js';

/** Characters of a refused target that go into the log, JSON-quoted. */
const LOGGED_TARGET_LENGTH = 200;

/**
 * Puts the request firewall in front of the app: a middleware of the HTTP adapter itself
 * (Express and Fastify alike), mounted when the module's middleware is, before the app's routes
 * and the module's own (health, version, SAML). A refused request is answered 400 (or 414) in the
 * platform's `{code, message}` format; no guard, pipe, interceptor or handler sees it.
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
    const { firewall, maxPathLength } = this.options.security;
    if (!firewall) {
      this.logger.warn('security.firewall is off: ambiguous request paths (%2F, dot segments, //, ...) reach the routes');
      return;
    }
    adapter.use(this.middleware(firewall, maxPathLength));
  }

  private middleware(rules: FirewallRules, maxPathLength: number) {
    return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
      const target = request.url ?? '';
      const refusal = judgeRequestTarget(target, rules, maxPathLength);
      if (!refusal) return next();
      this.logger.debug(`Refused ${request.method} ${JSON.stringify(target.slice(0, LOGGED_TARGET_LENGTH))}: ${refusal.message} (${refusal.rule})`);
      response.statusCode = refusal.status;
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.setHeader('Cache-Control', 'no-store');
      response.end(JSON.stringify({ code: refusal.status, message: refusal.message }));
    };
  }
}
