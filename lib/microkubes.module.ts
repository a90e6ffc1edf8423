import { HttpModule } from '@nestjs/axios';
import { Module, type CanActivate, type DynamicModule, type NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CurrentCallInterceptor } from './calls/current-call.interceptor.js';
import { StreamCallCheck } from './transports/stream-call-check.js';
import { ServiceCalls, SYSTEM_TOKENS } from './calls/service-calls.js';
import { SystemTokens } from './calls/system-tokens.js';
import { AccessControlGuard } from './guards/access-control.guard.js';
import { AclPolicyEnforcer } from './acl/acl-policy.enforcer.js';
import { AclGuard } from './guards/acl.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { authProvider } from './auth/auth.provider.js';
import type { ResolvedMicrokubesOptions } from './config/resolved-options.js';
import type { MicrokubesModuleOptions } from './microkubes-options.interface.js';
import { resolveSourcedOptions, serviceConfigOptions, type ServiceConfigSource } from './config/service-config-options.js';
import { KongRegistrationService } from './gateway/kong-registration.service.js';
import { HealthCheckRoute } from './health/health-check.route.js';
import { KeyStoreHealthIndicator } from './health/key-store.indicator.js';
import { KongAdminHealthIndicator } from './health/kong-admin.indicator.js';
import { VersionRoute } from './health/version.route.js';
import { RequestFirewallInstaller } from './http/request-firewall.installer.js';
import { KeyStore } from './keys/key-store.js';
import { MICROKUBES_OPTIONS, MICROKUBES_AUTH, SAML_SERVICE_PROVIDER } from './microkubes.constants.js';
import { SamlRegistrationService } from './saml/saml-registration.service.js';
import { buildSamlServiceProvider } from './saml/saml-service-provider.js';
import { SamlRoutes } from './saml/saml.routes.js';
import { MICROKUBES_MODULE_OPTIONS, MicrokubesConfigurableModule } from './microkubes.module-definition.js';
import { MicrokubesAuthGuard } from './guards/microkubes-auth.guard.js';
import { ConnectionAuthenticator } from './security/connection-authenticator.js';
import { MicrokubesAuthenticator } from './security/microkubes-authenticator.js';
import { buildSecurityChain } from './security/security-chain.js';
import { TokenRevocations } from './revocation/token-revocations.js';
import { SecurityTelemetry } from './telemetry/security-telemetry.js';

const letEveryRequestThrough: CanActivate = { canActivate: () => true };

/**
 * `MicrokubesModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`: validates
 * the options, parses the keys and builds the security chain once, at start-up; registers the
 * service with Kong at bootstrap when `gateway` is given, and the SAML SP with its IdP when
 * `security.saml.registrationUrl` is.
 */
@Module({
  // An axios instance of the module's own: the app's interceptors and default headers never see
  // Kong's admin token, nor does Kong get the app's.
  imports: [HttpModule.register({}), TerminusModule.forRoot()],
  providers: [
    { provide: MICROKUBES_OPTIONS, inject: [MICROKUBES_MODULE_OPTIONS], useFactory: resolveSourcedOptions },
    { provide: SecurityTelemetry, inject: [MICROKUBES_OPTIONS], useFactory: SecurityTelemetry.start },
    {
      provide: KeyStore,
      inject: [MICROKUBES_OPTIONS, SecurityTelemetry],
      useFactory: async (options: ResolvedMicrokubesOptions, telemetry: SecurityTelemetry) => {
        const store = await KeyStore.load({ keysDir: options.keysDir, keys: options.keys, watch: options.watchKeys });
        telemetry.watchKeyStore(store);
        return store;
      },
    },
    { provide: SAML_SERVICE_PROVIDER, inject: [MICROKUBES_OPTIONS, KeyStore], useFactory: buildSamlServiceProvider },
    { provide: TokenRevocations, inject: [MICROKUBES_OPTIONS], useFactory: TokenRevocations.start },
    { provide: MicrokubesAuthenticator, inject: [MICROKUBES_OPTIONS, KeyStore, SAML_SERVICE_PROVIDER, TokenRevocations, SecurityTelemetry], useFactory: buildSecurityChain },
    ConnectionAuthenticator,
    {
      provide: SYSTEM_TOKENS,
      inject: [MICROKUBES_OPTIONS, KeyStore],
      useFactory: (options: ResolvedMicrokubesOptions, keys: KeyStore) => (options.serviceCalls ? (SystemTokens.create(options.serviceCalls, keys) ?? null) : null),
    },
    ServiceCalls,
    CurrentCallInterceptor,
    StreamCallCheck,
    {
      provide: APP_INTERCEPTOR,
      inject: [MICROKUBES_OPTIONS, CurrentCallInterceptor],
      // Nest skips a global enhancer whose factory gives null: off, it is not in any handler's chain.
      useFactory: (options: ResolvedMicrokubesOptions, interceptor: CurrentCallInterceptor) => (options.serviceCalls ? interceptor : null),
    },
    SamlRoutes,
    SamlRegistrationService,
    MicrokubesAuthGuard,
    AclPolicyEnforcer,
    RolesGuard,
    AccessControlGuard,
    AclGuard,
    KongRegistrationService,
    KeyStoreHealthIndicator,
    KongAdminHealthIndicator,
    HealthCheckRoute,
    VersionRoute,
    RequestFirewallInstaller,
    authProvider,
    {
      provide: APP_GUARD,
      inject: [MICROKUBES_OPTIONS, MicrokubesAuthGuard],
      useFactory: (options: ResolvedMicrokubesOptions, guard: MicrokubesAuthGuard) =>
        options.security.globalGuard ? guard : letEveryRequestThrough,
    },
    // Global guards run before controller guards; these authenticate first themselves.
    {
      provide: APP_GUARD,
      inject: [MICROKUBES_OPTIONS, RolesGuard],
      useFactory: (options: ResolvedMicrokubesOptions, guard: RolesGuard) => (options.acl.globalGuards ? guard : letEveryRequestThrough),
    },
    {
      provide: APP_GUARD,
      inject: [MICROKUBES_OPTIONS, AccessControlGuard],
      useFactory: (options: ResolvedMicrokubesOptions, guard: AccessControlGuard) =>
        options.acl.globalGuards ? guard : letEveryRequestThrough,
    },
  ],
  exports: [
    MICROKUBES_OPTIONS, SecurityTelemetry, KeyStore, MicrokubesAuthenticator, TokenRevocations, ConnectionAuthenticator, ServiceCalls, MicrokubesAuthGuard, AclPolicyEnforcer, RolesGuard, AccessControlGuard,
    AclGuard, KongRegistrationService, MICROKUBES_AUTH, SAML_SERVICE_PROVIDER, SamlRegistrationService,
    KeyStoreHealthIndicator, KongAdminHealthIndicator,
  ],
})
export class MicrokubesModule extends MicrokubesConfigurableModule implements NestModule {
  /** @internal */
  constructor(private readonly firewall: RequestFirewallInstaller) {
    super();
  }

  /** `forRoot()` without options, from JavaScript too, rather than a TypeError from Nest's builder. */
  static override forRoot(options: MicrokubesModuleOptions & { isGlobal?: boolean } = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Mounted with the app's middleware (first, as the module is global), before any route. */
  configure(): void {
    this.firewall.install();
  }

  /**
   * The module configured from the platform's service config file: `configFile` (or a path as the
   * argument), else `SERVICE_CONFIG_FILE`, else `/run/secrets/microservice_<serviceName>_config.json`.
   * Options given beside it override the file. The file is read when the app is created, and a
   * missing file, invalid JSON or a field of the wrong type fails start-up with a ServiceConfigError.
   */
  static forServiceConfig(source: string | (ServiceConfigSource & { isGlobal?: boolean }) = {}): DynamicModule {
    const { isGlobal, ...rest } = typeof source === 'string' ? { configFile: source } : source;
    return this.forRootAsync({ ...(isGlobal !== undefined && { isGlobal }), useFactory: () => serviceConfigOptions(rest) });
  }
}
