import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import type { ResolvedRevocationOptions } from '../config/resolved-revocation-options.js';
import { subscribe, type RedisSubscription } from '../redis/redis-subscription.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { epochSeconds } from './fingerprint-table.js';
import { decodeRevocation, RedisRevocationStore, type Revocation } from './redis-revocation-store.js';
import { RevocationMirror } from './revocation-mirror.js';
import { TokenRevocationError } from './token-revocation.error.js';

/** What `revokeToken` takes: a token string, the `Auth` made of one, or its `jti` and `exp`. */
export type RevokedToken = string | Auth | { jti: string; exp?: number };

/** How a token string is verified before its `jti` is trusted: the service's own security chain. */
export type TokenVerifier = (token: string) => Promise<Auth | TokenRefusal>;

const SWEEP_MS = 60_000;
const RETRY_MS = 1_000;
const MAX_JTI_LENGTH = 1024;
const MAX_EXP = 4_102_444_800;

/**
 * Tokens refused before their `exp`, on every replica (`security.revocation`): recorded in Redis,
 * published to every replica, and held in each one's memory, so that no request waits on Redis.
 * Inject it to revoke (a logout, a password change, a stolen token) or to ask.
 */
export class TokenRevocations implements OnApplicationShutdown {
  private readonly logger = new Logger('MicrokubesRevocations');
  private readonly mirror: RevocationMirror;
  private readonly store?: RedisRevocationStore;
  private subscription?: RedisSubscription;
  /** Whether the subscription is listening: a mirror loaded while it is not would miss messages. */
  private listening = false;
  private verifier?: TokenVerifier;
  /** Epoch ms since which Redis is unreachable; undefined while the mirror is current. */
  private downSince?: number;
  /** Counts the outages: a reload started before the latest one must not end it. */
  private outages = 0;
  private closed = false;
  /** Aborts a subscription still connecting when the application shuts down. */
  private readonly shutdown = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners: Array<(revocation: Revocation) => void> = [];
  /** Open connections by the ids that can revoke them: `t:<jti>`, `s:<userId>`. */
  private readonly watchers = new Map<string, Set<Watcher>>();

  private constructor(
    private readonly options: ResolvedRevocationOptions | undefined,
    /** Seconds a token is accepted past its `exp` by the most tolerant strategy. */
    private readonly clockTolerance: number,
  ) {
    this.mirror = new RevocationMirror(options?.maxTokenLifetime ?? 0);
    if (options) this.store = new RedisRevocationStore(options.redis, options.prefix);
  }

  /** Built at start-up: subscribed, then loaded, before the application takes a request. */
  static async start(options: ResolvedMicrokubesOptions): Promise<TokenRevocations> {
    const { revocation, jwt, oauth2, disabled } = options.security;
    const tolerance = Math.max(jwt?.clockTolerance ?? 0, oauth2?.clockTolerance ?? 0);
    const revocations = new TokenRevocations(disabled ? undefined : revocation, tolerance);
    if (revocations.options) await revocations.connectAtStartup(revocations.options);
    return revocations;
  }

  /** Whether `security.revocation` is on. */
  get enabled(): boolean {
    return this.store !== undefined;
  }

  /**
   * Refuses the token everywhere until its `exp`. A token string is verified first (its `jti` is
   * only trusted from a token this service accepts); an `Auth` or `{ jti, exp }` is taken as is.
   * Resolves false when the token has expired anyway (nothing to record); rejects with
   * TokenRevocationError when it has no `jti` or Redis does not confirm (it is refused on this
   * replica at once, all the same).
   */
  async revokeToken(token: RevokedToken): Promise<boolean> {
    const store = this.requireStore();
    const id = await this.tokenId(token);
    if (!id) return false;
    const { jti, exp } = id;
    const now = epochSeconds();
    const until = (exp ?? now + this.options!.maxTokenLifetime) + this.clockTolerance;
    if (until <= now) return false;
    await this.record(store, { kind: 'token', id: jti, until }, now);
    return true;
  }

  /**
   * Refuses every token (and SAML session) of the user issued before `before` (default now), by
   * `iat`, whole seconds: one issued in the same second is refused too. A token without `iat`
   * counts as issued `maxTokenLifetime` before its `exp`. Resolves false when `before` is so far
   * in the past that every token it refuses has expired.
   */
  async revokeSubject(userId: string, { before = new Date() }: { before?: Date } = {}): Promise<boolean> {
    const store = this.requireStore();
    if (typeof userId !== 'string' || userId === '') throw new TokenRevocationError('revokeSubject needs a user id');
    const instant = before instanceof Date ? before.getTime() : Number.NaN;
    if (!Number.isFinite(instant)) throw new TokenRevocationError('revokeSubject: before must be a valid Date');
    const now = epochSeconds();
    const beforeSeconds = Math.floor(instant / 1000);
    const until = beforeSeconds + this.options!.maxTokenLifetime + this.clockTolerance;
    if (until <= now) return false;
    await this.record(store, { kind: 'subject', id: userId, before: beforeSeconds, until }, now);
    return true;
  }

  /** Whether this caller's token (or session) has been revoked, as this replica's mirror knows it. */
  isRevoked(auth: Auth): boolean {
    return this.enabled && this.mirror.revokes(auth);
  }

  /**
   * Why the chain must refuse this caller: its token was revoked, or Redis has been away longer
   * than `trustMirrorFor` (fail closed). Undefined when it may pass.
   */
  refusal(auth: Auth): TokenRefusal | undefined {
    if (this.downSince !== undefined && Date.now() - this.downSince >= this.options!.trustMirrorFor * 1000) {
      return new TokenRefusal('token revocations unavailable', 'unavailable').by(auth.strategy);
    }
    return this.mirror.revokes(auth) ? new TokenRefusal('token revoked', 'revoked').by(auth.strategy) : undefined;
  }

  /** Whether the mirror is current (Redis reachable, loaded), and what it holds. */
  get status(): { current: boolean; downSince?: Date; tokens: number; subjects: number; mirrorBytes: number } {
    const downSince = this.downSince === undefined ? undefined : new Date(this.downSince);
    return { current: this.enabled && this.downSince === undefined, downSince, ...this.mirror.size, mirrorBytes: this.mirror.bytes };
  }

  /** Set by the security chain: how a token string given to `revokeToken` is verified. */
  useVerifier(verifier: TokenVerifier): void {
    this.verifier = verifier;
  }

  /** Called with every revocation this replica learns of (the verified-token cache evicts by it). */
  onRevocation(listener: (revocation: Revocation) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls `onRevoked` once if the connection's caller is revoked while it stays open; returns the
   * function to call when it closes first. For long-lived connections (WebSockets, graphql-ws).
   */
  watch(auth: Auth, onRevoked: () => void): () => void {
    if (!this.enabled) return () => {};
    const watcher: Watcher = { auth, onRevoked, done: false };
    const ids = [`s:${auth.userId}`, ...(typeof auth.claims.jti === 'string' ? [`t:${auth.claims.jti}`] : [])];
    for (const id of ids) {
      let set = this.watchers.get(id);
      if (!set) this.watchers.set(id, (set = new Set()));
      set.add(watcher);
    }
    const cancel = (): void => {
      watcher.done = true;
      for (const id of ids) {
        const set = this.watchers.get(id);
        set?.delete(watcher);
        if (set?.size === 0) this.watchers.delete(id);
      }
    };
    watcher.cancel = cancel;
    return cancel;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.shutdown.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private requireStore(): RedisRevocationStore {
    if (!this.store) throw new TokenRevocationError('token revocation is off: configure security.revocation with a Redis client');
    return this.store;
  }

  /** The token's `jti` and `exp`; undefined for a token string that has expired. */
  private async tokenId(token: RevokedToken): Promise<{ jti: string; exp?: number } | undefined> {
    let claims: Readonly<Record<string, unknown>>;
    if (typeof token === 'string') {
      if (!this.verifier) throw new TokenRevocationError('no token strategy is configured to verify the token');
      const result = await this.verifier(token);
      if (result instanceof TokenRefusal) {
        if (result.message === 'token expired') return undefined;
        throw new TokenRevocationError(`cannot revoke a token this service does not accept: ${result.message}`);
      }
      claims = result.claims;
    } else if (token instanceof Auth) {
      claims = token.claims;
    } else if (typeof token === 'object' && token !== null) {
      claims = token as Record<string, unknown>;
    } else {
      throw new TokenRevocationError('revokeToken takes a token, an Auth, or { jti, exp }');
    }
    const { jti, exp } = claims;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
      throw new TokenRevocationError('the token has no jti: revoke its subject instead (revokeSubject)');
    }
    // Past 2100 as seconds: most likely milliseconds, which would keep the entry for ages.
    if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp) || exp > MAX_EXP)) throw new TokenRevocationError('exp must be epoch seconds');
    return { jti, exp: exp as number | undefined };
  }

  /** Applied here at once, then recorded and published; rejects when Redis does not confirm. */
  private async record(store: RedisRevocationStore, revocation: Revocation, now: number): Promise<void> {
    this.apply(revocation);
    try {
      await this.within(this.options!.startupTimeout * 1000, store.record(revocation, now), 'Redis did not answer');
    } catch (error) {
      throw new TokenRevocationError(
        `the revocation is in force on this replica only: Redis did not record it (${(error as Error).message})`,
        { cause: error },
      );
    }
  }

  private apply(revocation: Revocation): void {
    this.mirror.add(revocation);
    for (const listener of this.listeners) listener(revocation);
    const watchers = this.watchers.get(`${revocation.kind === 'token' ? 't' : 's'}:${revocation.id}`);
    if (watchers) this.endRevoked([...watchers]);
  }

  private endRevoked(watchers: Watcher[]): void {
    for (const watcher of watchers) {
      if (watcher.done || !this.mirror.revokes(watcher.auth)) continue;
      watcher.cancel?.();
      watcher.onRevoked();
    }
  }

  private async connectAtStartup(options: ResolvedRevocationOptions): Promise<void> {
    const sweep = setInterval(() => this.mirror.sweep(), SWEEP_MS);
    sweep.unref();
    this.timers.add(sweep);
    const connecting = this.connect();
    try {
      await this.within(options.startupTimeout * 1000, connecting, `Redis did not answer within ${options.startupTimeout} s`);
      return;
    } catch (error) {
      const reason = (error as Error).message;
      if (options.requiredAtStartup) {
        await this.onApplicationShutdown();
        throw new TokenRevocationError(
          `cannot load the token revocations from Redis: ${reason} (security.revocation.requiredAtStartup: false starts without them)`,
          { cause: error },
        );
      }
      this.markDown(reason);
      // Started before the outage was marked, the first connection cannot end it: a reload does.
      connecting.then(() => this.reload(), () => this.retry(() => this.connect()));
    }
  }

  /** Subscribed first, then loaded: nothing published in between is missed. */
  private async connect(): Promise<void> {
    const outages = this.outages;
    if (!this.subscription) {
      const subscription = await subscribe(this.options!.redis, this.store!.channel, {
        message: (text) => {
          const revocation = decodeRevocation(text);
          if (revocation) this.apply(revocation);
        },
        down: (reason) => {
          this.listening = false;
          this.markDown(reason);
        },
        up: () => {
          this.listening = true;
          void this.reload();
        },
      }, this.shutdown.signal);
      if (this.closed) return subscription.close();
      this.subscription = subscription;
      this.listening = true;
    }
    await this.load(outages);
  }

  private async reload(): Promise<void> {
    const outages = this.outages;
    try {
      await this.within(10_000, this.load(outages), 'Redis did not answer');
    } catch (error) {
      if (outages === this.outages) this.logger.warn(`Cannot reload the token revocations yet: ${(error as Error).message}`);
      this.retry(() => (outages === this.outages ? this.reload() : Promise.resolve()));
    }
  }

  private async load(outages: number): Promise<void> {
    const count = await this.store!.load(epochSeconds(), (revocation) => this.mirror.add(revocation));
    // Loaded while the subscription is away (the main client may still answer): still down, until 'up' reloads.
    if (this.closed || outages !== this.outages || !this.listening) return;
    const wasDown = this.downSince !== undefined;
    this.downSince = undefined;
    // What was published while away was missed: every open connection is judged again.
    if (wasDown) this.endRevoked([...new Set([...this.watchers.values()].flatMap((set) => [...set]))]);
    this.logger.log(`${wasDown ? 'Reloaded' : 'Loaded'} ${count} token revocation(s) from Redis`);
  }

  private markDown(reason: string): void {
    if (this.closed) return;
    this.outages++;
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    const trust = this.options!.trustMirrorFor;
    this.logger.warn(`Redis is unreachable (${reason}): ${trust > 0 ? `trusting the mirror for ${trust} s, then refusing every token` : 'refusing every token until it is back (fail closed)'}`);
  }

  private retry(attempt: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      attempt().catch(() => this.retry(attempt));
    }, RETRY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  private within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
      timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

interface Watcher {
  auth: Auth;
  onRevoked: () => void;
  done: boolean;
  cancel?: () => void;
}
