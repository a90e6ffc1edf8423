export { MicrokubesModule } from './microkubes.module.js';
export { MICROKUBES_ASYNC_OPTIONS_TYPE, MICROKUBES_OPTIONS_TYPE } from './microkubes.module-definition.js';
export type * from './microkubes-options.interface.js';
export { MICROKUBES_AUTH, MICROKUBES_OPTIONS, SAML_SERVICE_PROVIDER } from './microkubes.constants.js';
export { MicrokubesOptionsError } from './config/microkubes-options.error.js';
export type { ResolvedMicrokubesOptions, ResolvedSecurityOptions, ResolvedTokenOptions, ResolvedOAuth2Options } from './config/resolved-options.js';
export type { ResolvedAclOptions } from './config/resolved-acl-options.js';
export type { ResolvedEndpointOptions, ResolvedHealthCheckOptions } from './config/resolved-endpoint-options.js';
export type { ResolvedRetryOptions } from './config/resolved-retry-options.js';
export type { ResolvedServiceCallsOptions } from './config/resolved-service-calls-options.js';

export type { ServiceConfig } from './config/service-config.interface.js';
export { ServiceConfigError } from './config/service-config.error.js';
export { readServiceConfig, serviceConfigFile } from './config/service-config-file.js';
export { optionsFromServiceConfig, serviceConfigOptions, SYSTEM_ACCESS_POLICY, type MicrokubesOptionOverrides, type ServiceConfigSource } from './config/service-config-options.js';

export { Auth, type AuthFields, type AuthStrategyName } from './auth/auth.js';
export { authFromClaims, claimList, ClaimsError } from './auth/claims.js';
export { CurrentAuth } from './auth/current-auth.decorator.js';

export { KeyStore, type KeyStoreOptions, type KeyStoreStatus } from './keys/key-store.js';
export { KeyFileError, type KeyKind, type StoredKey } from './keys/key-file.js';

export { MicrokubesAuthGuard } from './guards/microkubes-auth.guard.js';
export { MicrokubesAuthenticator, type NamedStrategy } from './security/microkubes-authenticator.js';
export { ConnectionAuthenticator } from './security/connection-authenticator.js';
export { MAX_TOKEN_LENGTH, type UpgradeRequest } from './security/token-credentials.js';
export { ServiceCalls, type CallMode, type ServiceCallHeaders, type HeaderTarget } from './calls/service-calls.js';
export { ServiceCallError } from './calls/service-call.error.js';
export { currentCall, runInCall, type CurrentCall } from './calls/current-call.js';
export type { Credentials } from './security/credentials.js';
export type { Refusal } from './security/refusal.js';
export type { VerifiedTokenCache } from './security/verified-token.cache.js';
export type { TokenVerification } from './security/token-verification.js';
export type { TokenExtractor } from './security/token-extractor.js';
export { Public, IS_PUBLIC_KEY } from './security/public.decorator.js';
export { SecurityException } from './security/security.exception.js';
export { JWT_STRATEGY, MicrokubesJwtStrategy } from './security/jwt.strategy.js';
export { OAUTH2_STRATEGY, MicrokubesOAuth2Strategy } from './security/oauth2.strategy.js';
export { TokenRefusal, type RefusalKind } from './security/token-refusal.js';

export { KongRegistrationService, type KongRegistration } from './gateway/kong-registration.service.js';
export { GatewayRegistrationError } from './gateway/gateway-registration.error.js';
export { KongAdminError } from './gateway/kong-admin.client.js';
export { KeyStoreHealthIndicator } from './health/key-store.indicator.js';
export { KongAdminHealthIndicator } from './health/kong-admin.indicator.js';
export type { KongApiMode, ResolvedGatewayOptions } from './config/resolved-gateway-options.js';

export { Roles, ROLES_KEY, type RolesRequirement } from './acl/roles.decorator.js';
export { RolesGuard } from './guards/roles.guard.js';
export { AccessControlGuard } from './guards/access-control.guard.js';
export { UseRoles, USE_ROLES_KEY, type GrantRequirement } from './acl/use-roles.decorator.js';
export { GrantsMatch, GRANTS_MATCH_KEY } from './acl/grants-match.decorator.js';
export { AclGuard } from './guards/acl.guard.js';
export { SkipAcl, SKIP_ACL_KEY } from './acl/skip-acl.decorator.js';
export { AclAction, ACL_ACTION_KEY } from './acl/acl-action.decorator.js';
export { socketCaller } from './transports/call-callers.js';
export { GraphqlRefusal } from './transports/graphql.transport.js';
export { AclPolicyEnforcer } from './acl/acl-policy.enforcer.js';
export { AclPolicySet, actionOf, type AclDecision, type AclRequest, type CompiledPolicy } from './acl/acl-policy.js';
export type { PolicyPattern } from './acl/policy-pattern.js';
export type { AccessControlSettings } from './acl/access-control-grants.js';
export { LinearRegExp, type RegExpEngine } from './matching/linear-regexp.js';
export type { FirewallRules } from './http/request-firewall.js';

export { MicrokubesSamlStrategy, SAML_STRATEGY } from './saml/saml.strategy.js';
export { SamlSessionStrategy, SAML_SESSION_STRATEGY } from './saml/saml-session.strategy.js';
export { SamlServiceProvider, type SamlHttpRequest } from './saml/saml-service-provider.js';
export { SamlUnavailableError } from './saml/saml-unavailable.error.js';
export type { SamlSessionPayload } from './saml/saml-session.js';
export { SamlRegistrationService } from './saml/saml-registration.service.js';
export { SamlRegistrationError } from './saml/saml-registration.error.js';
export { SamlLoginRedirect } from './saml/saml-login-redirect.js';
export { SAML_ATTRIBUTES } from './saml/saml-profile.js';
export { MemoryRequestIdStore } from './saml/memory-request-id.store.js';
export { RedisRequestIdStore } from './saml/redis-request-id.store.js';
export type { ResolvedSamlOptions } from './config/resolved-saml-options.js';
