import { Inject, Injectable, Logger, ServiceUnavailableException, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { bearerChallenge } from '../security/bearer-challenge.js';
import { MicrokubesAuthenticator } from '../security/microkubes-authenticator.js';
import { KeyStoreHealthIndicator } from './key-store.indicator.js';
import { KongAdminHealthIndicator } from './kong-admin.indicator.js';
import { serveModuleGetRoute, type RouteAnswer, type RouteRequest } from './module-get-route.js';

/**
 * `GET /healthcheck` (the seed's `add_healthcheck`) on @nestjs/terminus: the key store, and Kong's
 * admin API when a gateway is configured. 200 `{ status: 'ok', info, error, details }` when
 * healthy, 503 `{ status: 'error', ... }` naming what is down.
 */
@Injectable()
export class HealthCheckRoute implements OnModuleInit {
  private readonly logger = new Logger('MicrokubesHealth');

  constructor(
    @Inject(MICROKUBES_OPTIONS) private readonly options: ResolvedMicrokubesOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly health: HealthCheckService,
    private readonly keys: KeyStoreHealthIndicator,
    private readonly gateway: KongAdminHealthIndicator,
    private readonly authenticator: MicrokubesAuthenticator,
  ) {}

  onModuleInit(): void {
    const settings = this.options.endpoints.healthCheck;
    const adapter = this.adapterHost.httpAdapter;
    if (!settings || !adapter) return;
    const indicators: HealthIndicatorFunction[] = [() => this.keys.check()];
    if (this.gateway.configured) indicators.push(() => this.gateway.check());
    // With security off, nothing is authenticated: the guard lets every request through, and so does this.
    const authenticated = !settings.public && !this.options.security.disabled;
    const served = serveModuleGetRoute(adapter, settings.path, async (request, response) => {
      if (authenticated) {
        const refused = await this.refusal(request);
        if (refused) return refused;
      }
      try {
        return { status: 200, body: await this.health.check(indicators) };
      } catch (error) {
        if (error instanceof ServiceUnavailableException) return { status: 503, body: error.getResponse() };
        throw error;
      }
    }, this.logger, 'healthCheck.path');
    if (served) this.logger.log(`Health check at GET ${settings.path}${authenticated ? ' (authenticated)' : ''}`);
  }

  /** With `public: false`: 401 unless the request carries credentials MicrokubesAuthGuard would take. */
  private async refusal(request: RouteRequest): Promise<RouteAnswer | undefined> {
    const result = await this.authenticator.verify({ headers: request.headers, from: `GET ${this.options.endpoints.healthCheck?.path}` });
    if (result instanceof Auth) return undefined;
    return {
      status: 401,
      body: { code: 401, message: result.message },
      // The guard's own challenge: the configured scheme, and the error of a token that was sent.
      headers: { 'WWW-Authenticate': bearerChallenge(this.options.security, result) },
    };
  }
}
