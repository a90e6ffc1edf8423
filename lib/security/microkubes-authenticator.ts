import { Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { IncomingHttpHeaders } from 'node:http';
import passport, { type Strategy } from 'passport';
import { Auth } from '../auth/auth.js';
import type { Credentials } from './credentials.js';
import { presentedToken, rememberPresentedToken } from './presented-tokens.js';
import { mostTelling, TokenRefusal } from './token-refusal.js';
import type { TokenVerification } from './token-verification.js';
import type { VerifiedTokenCache } from './verified-token.cache.js';

const logger = new Logger('MicrokubesAuthGuard');

/**
 * A strategy with the name it is registered under (`microkubes-jwt`, `microkubes-oauth2`,
 * `microkubes-saml-session`). Token strategies also say how they verify, for the cache; the
 * session strategy can answer without passport (`check`).
 */
export type NamedStrategy = Strategy & {
  readonly strategyName: string;
  readonly verification?: TokenVerification;
  check?(request: { headers: IncomingHttpHeaders }): Auth | TokenRefusal;
};

/**
 * The security chain: the configured passport strategies (tokens, then the SAML session), tried
 * in order on a passport instance of this module's own (so that two apps in one process never
 * share strategies). The first success wins; otherwise the most telling refusal is returned.
 */
export class MicrokubesAuthenticator {
  private readonly passport = new passport.Authenticator();
  readonly strategyNames: readonly string[];
  private readonly verifications: readonly TokenVerification[];
  /** The strategies that read no token (the SAML session), when each of them can answer directly. */
  private readonly directChecks?: ReadonlyArray<NonNullable<NamedStrategy['check']>>;

  constructor(
    strategies: readonly NamedStrategy[],
    /** The verified-token cache, when it is on; exposed for diagnostics (`tokenCache.size`). */
    readonly tokenCache?: VerifiedTokenCache,
  ) {
    for (const strategy of strategies) this.passport.use(strategy.strategyName, strategy);
    this.strategyNames = strategies.map((strategy) => strategy.strategyName);
    this.verifications = strategies.flatMap((strategy) => (strategy.verification ? [strategy.verification] : []));
    const others = strategies.filter((strategy) => !strategy.verification);
    if (others.length > 0 && others.every((strategy) => strategy.check)) {
      this.directChecks = others.map((strategy) => strategy.check!.bind(strategy));
    }
  }

  /**
   * The caller the credentials stand for, or why not; never rejects: a strategy that fails
   * unexpectedly (a JWKS endpoint down) is logged and refused, as "authentication failed".
   */
  verify(credentials: Credentials): Promise<Auth | TokenRefusal> {
    return this.authenticate(credentials, {}).then(
      (result) => {
        if (result instanceof Auth) this.rememberToken(result, credentials);
        return result;
      },
      (error: unknown) => {
        logger.error(`Authentication failed unexpectedly: ${(error as Error)?.message ?? error}`);
        return new TokenRefusal('authentication failed');
      },
    );
  }

  /** The token the caller was authenticated with, for relaying it (ServiceCalls); none for a SAML session. */
  private rememberToken(auth: Auth, credentials: Credentials): void {
    // A cached caller has its token already: the cache gives one Auth per token.
    if (presentedToken(auth) !== undefined) return;
    const token = this.verifications.find((verification) => verification.strategy === auth.strategy)?.extract(credentials);
    if (token) rememberPresentedToken(auth, token);
  }

  async authenticate(request: { headers: IncomingHttpHeaders }, response: object): Promise<Auth | TokenRefusal> {
    if (this.strategyNames.length === 0) return new TokenRefusal('no authentication strategy is configured');
    const cached = this.fromCache(request);
    if (cached) return cached;
    const direct = this.checkDirectly(request);
    if (direct) return direct;
    const result = await this.runStrategies(request, response);
    if (result instanceof Auth && this.tokenCache) {
      const verification = this.verifications.find((candidate) => candidate.strategy === result.strategy);
      const token = verification?.extract(request);
      if (verification && token) this.tokenCache.set(token, result, verification.clockTolerance);
    }
    return result;
  }

  /**
   * The chain's answer from the cache, when it can tell. Strategies in order, each with the token it
   * reads: a token this strategy verified before answers; one that a later strategy verified, of an
   * issuer this strategy leaves to others, would be passed on again, so the look-up goes on;
   * anything else must be verified in full.
   */
  private fromCache(request: { headers: IncomingHttpHeaders }): Auth | undefined {
    if (!this.tokenCache) return undefined;
    for (const [i, verification] of this.verifications.entries()) {
      const token = verification.extract(request);
      if (!token) continue;
      const auth = this.tokenCache.get(token);
      if (!auth) return undefined;
      if (auth.strategy === verification.strategy) return auth;
      const laterStrategy = this.verifications.slice(i + 1).some((later) => later.strategy === auth.strategy);
      if (!laterStrategy || !verification.declines(auth.claims.iss)) return undefined;
    }
    return undefined;
  }

  /**
   * With no token for any token strategy (a browser with its session cookie), passport would only
   * collect their "missing" refusals: the other strategies answer directly, in order, the same way.
   */
  private checkDirectly(request: { headers: IncomingHttpHeaders }): Auth | TokenRefusal | undefined {
    if (!this.directChecks || this.verifications.some((verification) => verification.extract(request) !== null)) return undefined;
    const refusals: TokenRefusal[] = [];
    for (const check of this.directChecks) {
      const result = check(request);
      if (result instanceof Auth) return result;
      refusals.push(result);
    }
    // Refusals are Errors, with a stack to capture: made only once the request is refused.
    if (this.verifications.length > 0) refusals.unshift(new TokenRefusal('missing bearer token', 'missing'));
    return mostTelling(refusals);
  }

  private runStrategies(request: object, response: object): Promise<Auth | TokenRefusal> {
    return new Promise((resolve, reject) => {
      const middleware = this.passport.authenticate(
        [...this.strategyNames],
        { session: false },
        (error: unknown, user: unknown, info: unknown) => {
          if (error) return reject(error);
          if (user instanceof Auth) return resolve(user);
          const refusals = (Array.isArray(info) ? info : [info]).map(toRefusal);
          resolve(mostTelling(refusals));
        },
      );
      middleware(request, response, reject);
    });
  }
}

/** passport-jwt fails with jsonwebtoken's errors; say what they mean without echoing the token. */
function toRefusal(info: unknown): TokenRefusal {
  if (info instanceof TokenRefusal) return info;
  if (info instanceof jwt.TokenExpiredError) return new TokenRefusal('token expired');
  if (info instanceof jwt.NotBeforeError) return new TokenRefusal('token not yet valid (nbf)');
  if (info instanceof jwt.JsonWebTokenError) {
    if (info.message.startsWith('jwt issuer invalid')) return new TokenRefusal('token issuer not accepted');
    if (info.message.startsWith('jwt audience invalid')) return new TokenRefusal('token audience not accepted');
    if (info.message === 'jwt malformed') return new TokenRefusal('malformed token');
    return new TokenRefusal(info.message);
  }
  if (info instanceof Error && info.message === 'No auth token') {
    return new TokenRefusal('missing bearer token', 'missing');
  }
  return new TokenRefusal('invalid token');
}
