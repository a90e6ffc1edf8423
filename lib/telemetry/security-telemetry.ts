import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { BatchObservableCallback, Counter, Histogram, Meter, Observable, ObservableCounter, Span } from '@opentelemetry/api';
import { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import type { KeyStore } from '../keys/key-store.js';
import { REFUSAL_REASONS, type RefusalReason, type TokenRefusal } from '../security/token-refusal.js';
import type { TokenCacheEvents, VerifiedTokenCache } from '../security/verified-token.cache.js';
import { loadOpenTelemetryApi, type OpenTelemetryApi } from './opentelemetry-api.js';
import { Tally, type TallyEntry } from './tally.js';
import {
  ATTRIBUTE, METRIC, STRATEGIES, TRANSPORTS,
  type AuthorizationLayer, type CacheEvictionReason, type Outcome, type RegistrationTarget, type StrategyLabel, type TelemetryTransport,
} from './telemetry-names.js';

const METER_NAME = 'microkubes-nestjs';

/** Seconds, from 10 µs (a cached token) to 1 s (a JWKS fetch on the way). */
const AUTHENTICATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Seconds, from one quick round trip to a minute of retries. */
const REGISTRATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/*
 * What every call records, counted per process (as the SDK's own storage is): an app closed and
 * another started in the same process go on from the same totals, as a cumulative counter must.
 */
const AUTHENTICATIONS = new Tally();
const AUTHORIZATIONS = new Tally();
const CACHE_LOOKUPS = new Tally();
const CACHE_EVICTIONS = new Tally();

/** By transport, strategy and result (`success` or a refusal reason): looked up without a string built. */
const AUTHENTICATION = {} as Record<TelemetryTransport, Record<StrategyLabel, Record<'success' | RefusalReason, TallyEntry>>>;
/** By transport, layer and `allow` / `deny`. */
const AUTHORIZATION = {} as Record<TelemetryTransport, Record<AuthorizationLayer, Record<'allow' | 'deny', TallyEntry>>>;
for (const transport of TRANSPORTS) {
  AUTHENTICATION[transport] = {} as (typeof AUTHENTICATION)[TelemetryTransport];
  for (const strategy of STRATEGIES) {
    const base = { [ATTRIBUTE.transport]: transport, [ATTRIBUTE.strategy]: strategy };
    const byResult = { success: AUTHENTICATIONS.entry({ ...base, [ATTRIBUTE.result]: 'success' }) } as Record<'success' | RefusalReason, TallyEntry>;
    for (const reason of REFUSAL_REASONS) byResult[reason] = AUTHENTICATIONS.entry({ ...base, [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: reason });
    AUTHENTICATION[transport][strategy] = byResult;
  }
  AUTHORIZATION[transport] = {} as (typeof AUTHORIZATION)[TelemetryTransport];
  for (const layer of ['roles', 'grants', 'policies'] as const) {
    const decision = (result: 'allow' | 'deny') => AUTHORIZATIONS.entry({ [ATTRIBUTE.transport]: transport, [ATTRIBUTE.layer]: layer, [ATTRIBUTE.decision]: result });
    AUTHORIZATION[transport][layer] = { allow: decision('allow'), deny: decision('deny') };
  }
}
const CACHE_HIT = CACHE_LOOKUPS.entry({ [ATTRIBUTE.cacheResult]: 'hit' });
const CACHE_MISS = CACHE_LOOKUPS.entry({ [ATTRIBUTE.cacheResult]: 'miss' });
const EVICTION = Object.fromEntries(
  (['capacity', 'expired', 'revoked', 'keys_changed'] as const).map((reason) => [reason, CACHE_EVICTIONS.entry({ [ATTRIBUTE.evictionReason]: reason })]),
) as Record<CacheEvictionReason, TallyEntry>;

const LAYER_BIT: Record<AuthorizationLayer, number> = { roles: 1, grants: 2, policies: 4 };

/**
 * The entry of an authentication. A value outside the fixed sets (a refusal of code of one's own,
 * a custom strategy name) is counted as `none` / `other`, never as itself; an unknown transport
 * is not counted.
 */
function authenticationEntry(transport: TelemetryTransport, result: Auth | TokenRefusal): TallyEntry | undefined {
  if (!Object.hasOwn(AUTHENTICATION, transport)) return undefined;
  const byStrategy = AUTHENTICATION[transport];
  const strategy = result.strategy;
  const byResult = strategy !== undefined && Object.hasOwn(byStrategy, strategy) ? byStrategy[strategy] : byStrategy.none;
  if (result instanceof Auth) return byResult.success;
  return Object.hasOwn(byResult, result.reason) ? byResult[result.reason] : byResult.other;
}

/** A registration being timed: `retried()` at each retry, `finished()` once. */
export interface RegistrationTimer {
  retried(): void;
  finished(outcome: Outcome): void;
}

/** The SDK's instruments: the per-call counters are observable (fed from the tallies), the rest synchronous. */
interface Instruments {
  authenticationDuration: Histogram;
  keyStoreReloads: Counter;
  jwksFetches: Counter;
  registrationAttempts: Counter;
  registrationRetries: Counter;
  registrationDuration: Histogram;
  samlLogins: Counter;
}

/**
 * Injectable, to ask whether metrics are being recorded (`recording`).
 *
 * What the module records of its security decisions, through `@opentelemetry/api` only: metrics
 * on the meter of the SDK the app registered, and attributes on the active span of each call.
 * Every attribute set of a call is built once, at load, of fixed values (no user id, token, jti
 * or path): labels cannot grow with traffic. Without the API, or without an SDK registered before
 * the app was created, each method returns at its first line.
 */
export class SecurityTelemetry implements OnApplicationShutdown {
  /** Records nothing. */
  static readonly off = new SecurityTelemetry(undefined, undefined, false);

  private readonly logger = new Logger('MicrokubesTelemetry');
  private readonly instruments?: Instruments;
  private readonly observables: Array<{ callback: BatchObservableCallback; observables: Observable[] }> = [];
  /** The layers already counted for a call (bits of LAYER_BIT). */
  private readonly decided = new WeakMap<object, number>();
  /** Spans on which a layer denied. */
  private readonly denied = new WeakSet<Span>();
  private failureLogged = false;

  private constructor(
    private readonly api: typeof OpenTelemetryApi | undefined,
    private readonly meter: Meter | undefined,
    private readonly userIdOnSpans: boolean,
  ) {
    // With no SDK, the API hands out its one no-op meter: then no metric is recorded at all.
    if (!api || !meter || meter === api.createNoopMeter()) return;
    this.instruments = createInstruments(meter);
    const tallied = (name: string, tally: Tally, description: string, unit: string): [ObservableCounter, Tally] =>
      [meter.createObservableCounter(name, { description, unit }), tally];
    const counters = [
      tallied(METRIC.authenticationAttempts, AUTHENTICATIONS, 'Authentications of calls and connections, by transport, strategy, result and reason', '{attempt}'),
      tallied(METRIC.authorizationDecisions, AUTHORIZATIONS, 'Access decisions, by layer (roles, grants, policies) and result', '{decision}'),
      tallied(METRIC.tokenCacheLookups, CACHE_LOOKUPS, 'Look-ups in the verified-token cache, hit or miss', '{lookup}'),
      tallied(METRIC.tokenCacheEvictions, CACHE_EVICTIONS, 'Tokens dropped from the verified-token cache, by reason', '{token}'),
    ];
    this.observe(counters.map(([counter]) => counter), (result) => {
      for (const [counter, tally] of counters) tally.forEach((total, attributes) => result.observe(counter, total, attributes));
    });
  }

  /** Loads the API when telemetry is on and it is installed; `off` otherwise. @internal */
  static async start(options: ResolvedMicrokubesOptions): Promise<SecurityTelemetry> {
    if (!options.telemetry) return SecurityTelemetry.off;
    const api = await loadOpenTelemetryApi();
    if (!api) return SecurityTelemetry.off;
    return new SecurityTelemetry(api, api.metrics.getMeter(METER_NAME), options.telemetry.userIdOnSpans);
  }

  /** Whether metrics are recorded (the API is there and an SDK was registered). */
  get recording(): boolean {
    return this.instruments !== undefined;
  }

  /** The start of a decision, for `authenticated`; 0 when no duration is recorded. @internal */
  startTime(): number {
    return this.instruments ? performance.now() : 0;
  }

  /**
   * One authentication of a call or a connection, and its outcome. Never throws: telemetry that
   * fails is logged once and changes no decision.
   * @internal
   */
  authenticated(transport: TelemetryTransport, result: Auth | TokenRefusal, startedAt: number): void {
    if (!this.api) return;
    try {
      const entry = authenticationEntry(transport, result);
      if (!entry) return;
      if (this.instruments) {
        AUTHENTICATIONS.add(entry);
        this.instruments.authenticationDuration.record((performance.now() - startedAt) / 1000, entry.attributes);
      }
      const span = this.api.trace.getActiveSpan();
      if (!span?.isRecording()) return;
      span.setAttributes(entry.attributes);
      if (result instanceof Auth && this.userIdOnSpans) span.setAttribute(ATTRIBUTE.userId, result.userId);
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * One access decision: `@Roles` (roles), `@UseRoles` (grants) or the ACL policies; `call` (the
   * transport's call key) counts a layer once per call when two guards decide the same call. On
   * the span, a deny is never overwritten by a later layer's allow.
   * @internal
   */
  authorized(transport: TelemetryTransport, layer: AuthorizationLayer, allowed: boolean, call?: object): void {
    if (!this.api) return;
    try {
      if (!Object.hasOwn(AUTHORIZATION, transport) || !Object.hasOwn(AUTHORIZATION[transport], layer)) return;
      const entry = AUTHORIZATION[transport][layer][allowed ? 'allow' : 'deny'];
      if (this.instruments && this.firstDecision(call, layer)) AUTHORIZATIONS.add(entry);
      const span = this.api.trace.getActiveSpan();
      if (!span?.isRecording() || (allowed && this.denied.has(span))) return;
      if (!allowed) this.denied.add(span);
      span.setAttributes(entry.attributes);
    } catch (error) {
      this.failed(error);
    }
  }

  /** The verified-token cache's events, and its size observed; undefined when not recording. @internal */
  tokenCacheEvents(cache: () => VerifiedTokenCache | undefined): TokenCacheEvents | undefined {
    if (!this.instruments) return undefined;
    const size = this.meter!.createObservableGauge(METRIC.tokenCacheSize, { description: 'Tokens in the verified-token cache', unit: '{token}' });
    this.observe([size], (result) => {
      const current = cache();
      if (current) result.observe(size, current.size);
    });
    return {
      lookup: (found) => CACHE_LOOKUPS.add(found ? CACHE_HIT : CACHE_MISS),
      evicted: (reason, count) => this.safely(() => CACHE_EVICTIONS.add(EVICTION[reason], count)),
    };
  }

  /** The store's reloads, counted, and its keys observed by kind. @internal */
  watchKeyStore(store: KeyStore): void {
    const instruments = this.instruments;
    if (!instruments) return;
    store.onReload((reloaded) => this.safely(() => instruments.keyStoreReloads.add(1, { [ATTRIBUTE.outcome]: reloaded ? 'ok' : 'failed' })));
    const keys = this.meter!.createObservableGauge(METRIC.keyStoreKeys, { description: 'Keys the key store holds', unit: '{key}' });
    this.observe([keys], (result) => {
      const status = store.status();
      result.observe(keys, status.public, { [ATTRIBUTE.keyKind]: 'public' });
      result.observe(keys, status.private, { [ATTRIBUTE.keyKind]: 'private' });
      result.observe(keys, status.certificates, { [ATTRIBUTE.keyKind]: 'certificate' });
    });
  }

  /** One fetch of the authorization server's JWKS. @internal */
  jwksFetched(outcome: Outcome): void {
    this.safely(() => this.instruments?.jwksFetches.add(1, { [ATTRIBUTE.outcome]: outcome }));
  }

  /** Times one registration (with Kong, or of the SAML SP with its IdP), retries included. @internal */
  registration(target: RegistrationTarget): RegistrationTimer {
    const instruments = this.instruments;
    if (!instruments) return { retried() {}, finished() {} };
    const startedAt = performance.now();
    return {
      retried: () => this.safely(() => instruments.registrationRetries.add(1, { [ATTRIBUTE.target]: target })),
      finished: (outcome) =>
        this.safely(() => {
          const attributes = { [ATTRIBUTE.target]: target, [ATTRIBUTE.outcome]: outcome };
          instruments.registrationAttempts.add(1, attributes);
          instruments.registrationDuration.record((performance.now() - startedAt) / 1000, attributes);
        }),
    };
  }

  /** One posted SAML Response: a session opened, or the reason it was refused. @internal */
  samlLogin(failure?: RefusalReason): void {
    this.safely(() => this.instruments?.samlLogins.add(1, failure ? { [ATTRIBUTE.result]: 'failure', [ATTRIBUTE.reason]: failure } : { [ATTRIBUTE.result]: 'success' }));
  }

  /** An app closed stops being observed: a process may run several (tests do). @internal */
  onApplicationShutdown(): void {
    for (const { callback, observables } of this.observables.splice(0)) this.meter?.removeBatchObservableCallback(callback, observables);
  }

  /** Whether `layer` is decided for the first time on this call. */
  private firstDecision(call: object | undefined, layer: AuthorizationLayer): boolean {
    if (!call) return true;
    const seen = this.decided.get(call) ?? 0;
    if (seen & LAYER_BIT[layer]) return false;
    this.decided.set(call, seen | LAYER_BIT[layer]);
    return true;
  }

  private safely(record: () => void): void {
    try {
      record();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Telemetry that throws (an SDK's fault) is said once, and never changes a decision. */
  private failed(error: unknown): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.logger.warn(`Recording failed, and will not be reported again: ${(error as Error)?.message ?? error}`);
  }

  private observe(observables: Observable[], callback: BatchObservableCallback): void {
    const guarded: BatchObservableCallback = (result) => {
      try {
        callback(result);
      } catch (error) {
        this.logger.warn(`An observation failed: ${(error as Error).message}`);
      }
    };
    this.meter!.addBatchObservableCallback(guarded, observables);
    this.observables.push({ callback: guarded, observables });
  }
}

function createInstruments(meter: Meter): Instruments {
  return {
    authenticationDuration: meter.createHistogram(METRIC.authenticationDuration, {
      description: 'How long authentications took, cache look-up and revocation check included',
      unit: 's',
      advice: { explicitBucketBoundaries: AUTHENTICATION_BUCKETS },
    }),
    keyStoreReloads: meter.createCounter(METRIC.keyStoreReloads, { description: 'Reloads of the key files, ok or failed', unit: '{reload}' }),
    jwksFetches: meter.createCounter(METRIC.jwksFetches, { description: "Fetches of the authorization server's JWKS, ok or failed", unit: '{fetch}' }),
    registrationAttempts: meter.createCounter(METRIC.registrationAttempts, { description: 'Registrations with Kong or the SAML IdP, by outcome', unit: '{registration}' }),
    registrationRetries: meter.createCounter(METRIC.registrationRetries, { description: 'Retries within registrations', unit: '{retry}' }),
    registrationDuration: meter.createHistogram(METRIC.registrationDuration, {
      description: 'How long registrations took, retries included',
      unit: 's',
      advice: { explicitBucketBoundaries: REGISTRATION_BUCKETS },
    }),
    samlLogins: meter.createCounter(METRIC.samlLogins, { description: 'SAML Responses posted to the ACS, by result and reason', unit: '{login}' }),
  };
}
