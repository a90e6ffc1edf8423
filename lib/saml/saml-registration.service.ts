import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { kongMessage } from '../gateway/kong-admin.client.js';
import { withRetries } from '../gateway/retry-policy.js';
import { SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import type { SamlServiceProvider } from './saml-service-provider.js';
import { SamlRegistrationError } from './saml-registration.error.js';

/**
 * Registers the SP with the Microkubes IdP at bootstrap: `POST registrationUrl` with the signed
 * metadata XML, retried with backoff as gateway registration is. With `registration.required`
 * start-up waits and fails when it cannot register; otherwise it goes on in the background and
 * a failure is a warning.
 */
@Injectable()
export class SamlRegistrationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MicrokubesSaml');
  /** Set at shutdown: a registration still retrying in the background gives up. */
  private stopped = false;

  constructor(
    @Inject(SAML_SERVICE_PROVIDER) private readonly sp: SamlServiceProvider | null,
    private readonly http: HttpService,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.sp?.options.registrationUrl) return;
    if (this.sp.options.registrationRequired) {
      await this.register();
      return;
    }
    this.register().catch((error: Error) => {
      if (!this.stopped) this.logger.warn(`${error.message}; SAML logins may fail until the IdP knows this SP`);
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  /** Registers (again) now. Rejects with SamlRegistrationError. */
  async register(): Promise<void> {
    const sp = this.sp;
    const url = sp?.options.registrationUrl;
    if (!sp || !url) throw new Error('SamlRegistrationService.register(): no security.saml.registrationUrl is configured');
    const retry = sp.options.registrationRetry;
    const deadlineAt = Date.now() + retry.deadline;
    const timer = this.telemetry.registration('saml_idp');
    try {
      await withRetries(
        () => this.post(url, sp.metadata, Math.min(retry.requestTimeout, Math.max(1, deadlineAt - Date.now()))),
        (error) => error instanceof RetryableError && !this.stopped,
        retry,
        deadlineAt,
        (error, attempt, delay) => {
          timer.retried();
          this.logger.warn(`SAML registration at ${url}: ${(error as Error).message}; retry ${attempt} in ${delay} ms`);
        },
      );
      timer.finished('ok');
    } catch (error) {
      timer.finished('failed');
      throw new SamlRegistrationError(url, (error as Error).message, { cause: error });
    }
    this.logger.log(`Registered SAML SP ${sp.options.entityId} with the IdP at ${url}`);
  }

  private async post(url: string, metadata: string, timeout: number): Promise<void> {
    let status: number;
    let data: unknown;
    try {
      ({ status, data } = await this.http.axiosRef.post(url, metadata, {
        headers: { 'content-type': 'application/xml' },
        timeout,
        validateStatus: () => true,
        maxRedirects: 0,
        responseType: 'text',
      }));
    } catch (error) {
      throw new RetryableError(isAxiosError(error) ? `the IdP is unreachable (${error.code ?? error.message})` : String(error));
    }
    if (status >= 200 && status < 300) return;
    const message = `POST answered ${status}: ${kongMessage(parseMaybeJson(data))}`;
    if (status >= 500 || status === 408 || status === 429) throw new RetryableError(message);
    throw new Error(message);
  }
}

class RetryableError extends Error {}

function parseMaybeJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
