import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { GatewayRegistrationError } from './gateway-registration.error.js';
import { KongAdminClient } from './kong-admin.client.js';
import { KongLegacyRegistrar } from './kong-legacy.registrar.js';
import type { KongRegistrar } from './kong-registrar.js';
import { KongServicesRegistrar } from './kong-services.registrar.js';

/** What registration did: which API it used, against which Kong. */
export interface KongRegistration {
  mode: KongRegistrar['mode'];
  /** Kong's version, when it was asked (`apiMode: 'auto'`). */
  kongVersion?: string;
}

/** How long removing the target may hold up shutdown. */
const SHUTDOWN_DEADLINE_MS = 5_000;

/**
 * Registers the service with Kong at bootstrap, before the app listens, and fails start-up with a
 * GatewayRegistrationError when that cannot be done. Removes this instance's target at shutdown,
 * before the server stops listening.
 */
@Injectable()
export class KongRegistrationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('KongRegistration');
  private readonly gateway?: ResolvedGatewayOptions;
  private registrar?: KongRegistrar;

  constructor(
    @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    private readonly http: HttpService,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    this.gateway = options.gateway;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.gateway) {
      this.logger.log('No gateway configured: not registering with Kong');
      return;
    }
    await this.register();
  }

  /** Registers (again) now. Rejects with GatewayRegistrationError. */
  async register(): Promise<KongRegistration> {
    const gateway = this.gateway;
    if (!gateway) throw new Error('KongRegistrationService.register(): no gateway is configured');
    const timer = this.telemetry.registration('kong');
    const client = new KongAdminClient(this.http, gateway, Date.now() + gateway.retry.deadline, timer.retried);
    try {
      const { registrar, kongVersion } = await this.registrarFor(client, gateway);
      await registrar.register(client, gateway);
      timer.finished('ok');
      this.registrar = registrar;
      const via = kongVersion ? `Kong ${kongVersion}` : 'Kong';
      this.logger.log(
        `Registered ${gateway.name} (${gateway.paths.join(', ')} -> ${gateway.target?.upstream ?? gateway.host}:${gateway.port}) with ${via} at ${gateway.adminUrl}, ${registrar.mode} API`,
      );
      return { mode: registrar.mode, kongVersion };
    } catch (error) {
      timer.finished('failed');
      throw new GatewayRegistrationError(gateway.adminUrl, (error as Error).message, { cause: error });
    }
  }

  /** Before the HTTP server closes, so that Kong stops sending traffic before the port goes away. */
  async beforeApplicationShutdown(): Promise<void> {
    const target = this.gateway?.target;
    if (!this.gateway || !target || !this.registrar) return;
    const client = new KongAdminClient(this.http, { ...this.gateway, retry: { ...this.gateway.retry, attempts: 2 } }, Date.now() + SHUTDOWN_DEADLINE_MS);
    try {
      await this.registrar.removeTarget(client, target);
      this.logger.log(`Removed target ${target.address} from upstream ${target.upstream}`);
    } catch (error) {
      this.logger.warn(`Could not remove target ${target.address} from upstream ${target.upstream}: ${(error as Error).message}`);
    }
  }

  private async registrarFor(client: KongAdminClient, gateway: ResolvedGatewayOptions): Promise<{ registrar: KongRegistrar; kongVersion?: string }> {
    if (gateway.apiMode === 'legacy') return { registrar: new KongLegacyRegistrar() };
    if (gateway.apiMode === 'services') return { registrar: new KongServicesRegistrar(true) };
    const { body } = await client.call<{ version?: unknown }>('GET', '/');
    const kongVersion = typeof body?.version === 'string' ? body.version : undefined;
    const [major, minor] = (/^(\d+)\.(\d+)/.exec(kongVersion ?? '') ?? []).slice(1).map(Number);
    if (major === undefined || minor === undefined) {
      throw new Error(`GET / did not tell Kong's version (got ${JSON.stringify(body).slice(0, 200)}); set gateway.apiMode`);
    }
    if (major === 0) return { registrar: new KongLegacyRegistrar(), kongVersion };
    // Tags came with Kong 1.1.
    return { registrar: new KongServicesRegistrar(major > 1 || minor >= 1), kongVersion };
  }
}
