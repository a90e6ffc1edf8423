import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { KongAdminClient } from '../gateway/kong-admin.client.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';

/**
 * Kong's admin API as a terminus health indicator: `GET /` (which tells Kong's version) with the
 * gateway's URL, credentials and headers, once, within `healthCheck.gatewayTimeout`. Answers are
 * shared for `healthCheck.gatewayCacheTtl`, so that health checks cannot flood Kong.
 */
@Injectable()
export class KongAdminHealthIndicator {
  private readonly gateway?: ResolvedGatewayOptions;
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly inFlight = new Map<string, Promise<HealthIndicatorResult>>();

  constructor(
    private readonly http: HttpService,
    private readonly indicators: HealthIndicatorService,
    @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
  ) {
    this.gateway = options.gateway;
    this.timeoutMs = options.endpoints.healthCheck?.gatewayTimeoutMs ?? 3000;
    this.cacheTtlMs = options.endpoints.healthCheck?.gatewayCacheTtlMs ?? 1000;
  }

  /** Whether there is a gateway to check. */
  get configured(): boolean {
    return this.gateway !== undefined;
  }

  check(key = 'gateway'): Promise<HealthIndicatorResult> {
    const gateway = this.gateway;
    if (!gateway) return Promise.resolve(this.indicators.check(key).up({ message: 'no gateway is configured' }));
    // terminus shares a call only while its answer is cached: with no cache, concurrent checks share here.
    let answer = this.inFlight.get(key);
    if (!answer) {
      answer = Promise.resolve(
        this.indicators
          .check(key)
          .attempt(async () => {
            const once = { ...gateway, retry: { ...gateway.retry, attempts: 1, requestTimeout: this.timeoutMs } };
            const { body } = await new KongAdminClient(this.http, once, Date.now() + this.timeoutMs).call<{ version?: unknown }>('GET', '/');
            return typeof body?.version === 'string' ? { version: body.version } : {};
          })
          .withTimeout(this.timeoutMs)
          .cacheFor(this.cacheTtlMs),
      ).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, answer);
    }
    return answer;
  }
}
