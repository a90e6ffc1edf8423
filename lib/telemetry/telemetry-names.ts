import type { AuthStrategyName } from '../auth/auth.js';
import type { RefusalReason } from '../security/token-refusal.js';

/**
 * Every name the module records under, in one place (the README's table lists the same). Names
 * follow OpenTelemetry's rules: lowercase, dot-separated namespaces, snake_case words, units as
 * UCUM (`s`, `{attempt}`); the Prometheus exporter turns them into `microkubes_..._total` etc.
 */
export const METRIC = {
  authenticationAttempts: 'microkubes.authentication.attempts',
  authenticationDuration: 'microkubes.authentication.duration',
  authorizationDecisions: 'microkubes.authorization.decisions',
  tokenCacheLookups: 'microkubes.token_cache.lookups',
  tokenCacheEvictions: 'microkubes.token_cache.evictions',
  tokenCacheSize: 'microkubes.token_cache.size',
  keyStoreReloads: 'microkubes.key_store.reloads',
  keyStoreKeys: 'microkubes.key_store.keys',
  jwksFetches: 'microkubes.jwks.fetches',
  registrationAttempts: 'microkubes.registration.attempts',
  registrationRetries: 'microkubes.registration.retries',
  registrationDuration: 'microkubes.registration.duration',
  samlLogins: 'microkubes.saml.logins',
} as const;

/** Attribute keys: each takes only the fixed values of its type below, never a value from a request. */
export const ATTRIBUTE = {
  transport: 'microkubes.transport',
  strategy: 'microkubes.authentication.strategy',
  result: 'microkubes.authentication.result',
  reason: 'microkubes.authentication.reason',
  layer: 'microkubes.authorization.layer',
  decision: 'microkubes.authorization.result',
  cacheResult: 'microkubes.token_cache.result',
  evictionReason: 'microkubes.token_cache.eviction_reason',
  keyKind: 'microkubes.key_store.key_kind',
  outcome: 'microkubes.outcome',
  target: 'microkubes.registration.target',
  /** OpenTelemetry's own, opt-in (`telemetry.userIdOnSpans`), on spans only. */
  userId: 'enduser.id',
} as const;

export type TelemetryTransport = 'http' | 'graphql' | 'websocket' | 'rpc';
export const TRANSPORTS: readonly TelemetryTransport[] = ['http', 'graphql', 'websocket', 'rpc'];

/** Which strategy decided: `none` when no strategy got a credential to judge (none sent, or ambiguous). */
export type StrategyLabel = AuthStrategyName | 'none';
export const STRATEGIES: readonly StrategyLabel[] = ['jwt', 'oauth2', 'saml', 'none'];

export type AuthenticationResult = 'success' | 'failure';
export type AuthorizationLayer = 'roles' | 'grants' | 'policies';
export type CacheEvictionReason = 'capacity' | 'expired' | 'revoked' | 'keys_changed';
export type RegistrationTarget = 'kong' | 'saml_idp';
/** Of a key reload, a JWKS fetch, a registration. */
export type Outcome = 'ok' | 'failed';

export type { RefusalReason };
