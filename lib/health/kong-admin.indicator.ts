import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { KongAdminClient, KongAdminError } from '../gateway/kong-admin.client.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';

/**
 * Kong's admin API as a terminus health indicator: `GET /` (which tells Kong's version) with the
 * gateway's URL, credentials and headers, once, within `healthCheck.gatewayTimeout`. Answers are
 * shared for `healthCheck.gatewayCacheTtl`, so that health checks cannot flood Kong. What went
 * wrong is said in words that name no host and quote nothing of Kong's; the log has the rest.
 * Kong's version is told only when the health check asks for credentials.
 */
@Injectable()
export class KongAdminHealthIndicator {
  private readonly gateway?: ResolvedGatewayOptions;
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly inFlight = new Map<string, Promise<HealthIndicatorResult>>();
  private readonly detailed: boolean;
  private readonly logger = new Logger('MicrokubesHealth');
  private wasDown = false;

  constructor(
    private readonly http: HttpService,
    private readonly indicators: HealthIndicatorService,
    @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
  ) {
    this.gateway = options.gateway;
    this.timeoutMs = options.endpoints.healthCheck?.gatewayTimeoutMs ?? 3000;
    this.cacheTtlMs = options.endpoints.healthCheck?.gatewayCacheTtlMs ?? 1000;
    this.detailed = options.endpoints.healthCheck?.public === false;
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
            const { body } = await new KongAdminClient(this.http, once, Date.now() + this.timeoutMs)
              .call<{ version?: unknown }>('GET', '/')
              .catch((error: unknown) => this.down(error));
            this.wasDown = false;
            return this.detailed && typeof body?.version === 'string' ? { version: body.version } : {};
          })
          .withTimeout(this.timeoutMs)
          .cacheFor(this.cacheTtlMs),
      ).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, answer);
    }
    return answer;
  }

  /** Logs what went wrong when Kong goes down (not on every check), and throws what callers may see. */
  private down(error: unknown): never {
    const message = (error as Error)?.message ?? String(error);
    if (!this.wasDown) this.logger.warn(`Kong's admin API at ${this.gateway?.adminUrl} does not answer as it should: ${message}`);
    this.wasDown = true;
    if (error instanceof KongAdminError && error.status !== undefined) throw new Error(`Kong's admin API answered ${error.status}`);
    if (/^Kong (is unreachable \([A-Z_]+\)|did not answer in time)$/.test(message)) throw new Error(message);
    throw new Error('Kong cannot be reached');
  }
}
