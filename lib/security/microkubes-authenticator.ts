import { Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Strategy } from 'passport';
import { Auth } from '../auth/auth.js';
import type { TokenRevocations } from '../revocation/token-revocations.js';
import type { Credentials } from './credentials.js';
import { rememberPresentedToken } from './presented-tokens.js';
import { mostTelling, TokenRefusal } from './token-refusal.js';
import type { TokenVerification } from './token-verification.js';
import type { VerifiedTokenCache } from './verified-token.cache.js';

const logger = new Logger('MicrokubesAuthGuard');

/**
 * A strategy with the name it is registered under (`microkubes-jwt`, `microkubes-oauth2`,
 * `microkubes-saml-session`), and how the chain asks it without passport: a token strategy by its
 * verification, the session strategy by `check`.
 */
export type NamedStrategy = Strategy & { readonly strategyName: string } & (
  | { readonly verification: TokenVerification; readonly check?: undefined }
  | { readonly verification?: undefined; check(request: { headers: IncomingHttpHeaders }): Auth | TokenRefusal }
);

/** One link of the chain: a token strategy's verification, or the session's check. */
type Link =
  | { readonly verification: TokenVerification }
  | { readonly verification?: undefined; readonly check: (request: { headers: IncomingHttpHeaders }) => Auth | TokenRefusal };

/**
 * The security chain: the configured strategies (tokens, then the SAML session), asked in order,
 * directly rather than through passport (each is also a passport strategy, for `AuthGuard(name)`).
 * The first success wins; otherwise the most telling refusal is returned. A token verified twice
 * is kept in the verified-token cache, which answers it from then on.
 */
export class MicrokubesAuthenticator {
  readonly strategyNames: readonly string[];
  private readonly links: readonly Link[];
  private readonly verifications: readonly TokenVerification[];

  constructor(
    strategies: readonly NamedStrategy[],
    /** The verified-token cache, when it is on; exposed for diagnostics (`tokenCache.size`). */
    readonly tokenCache?: VerifiedTokenCache,
    /** Asked after every success, cached or not, when revocation is on. */
    private readonly revocations?: TokenRevocations,
  ) {
    this.strategyNames = strategies.map((strategy) => strategy.strategyName);
    this.links = strategies.map((strategy): Link =>
      strategy.verification ? { verification: strategy.verification } : { check: strategy.check!.bind(strategy) },
    );
    this.verifications = strategies.flatMap((strategy) => (strategy.verification ? [strategy.verification] : []));
  }

  /**
   * The caller the credentials stand for, or why not; never rejects: a strategy that fails
   * unexpectedly is logged and refused, as "authentication failed".
   */
  verify(credentials: Credentials): Promise<Auth | TokenRefusal> {
    const cached = this.fromCache(credentials);
    if (cached) return Promise.resolve(cached);
    return this.runChain(credentials).catch((error: unknown) => {
      logger.error(`Authentication failed unexpectedly: ${(error as Error)?.message ?? error}`);
      return new TokenRefusal('authentication failed');
    });
  }

  /**
   * The Auth of a bare token, by the first token strategy that accepts it (each with its own
   * checks: issuer, audience, scopes), or the most telling refusal. Not cached.
   */
  async verifyToken(token: string): Promise<Auth | TokenRefusal> {
    const refusals: TokenRefusal[] = [];
    for (const verification of this.verifications) {
      const result = await verification.verify(token);
      if (result instanceof Auth) return result;
      refusals.push(result);
    }
    return mostTelling(refusals);
  }

  /** The same answer for a request (its headers), for code outside the guards; `response` is not used. */
  authenticate(request: { headers: IncomingHttpHeaders }, _response?: object): Promise<Auth | TokenRefusal> {
    return this.verify({ headers: request.headers, from: 'MicrokubesAuthenticator.authenticate()' });
  }

  private async runChain(request: { headers: IncomingHttpHeaders }): Promise<Auth | TokenRefusal> {
    if (this.links.length === 0) return new TokenRefusal('no authentication strategy is configured');
    const refusals: TokenRefusal[] = [];
    for (const link of this.links) {
      if (!link.verification) {
        const result = link.check(request);
        if (result instanceof Auth) return this.revocations?.refusal(result) ?? result;
        refusals.push(result);
        continue;
      }
      const token = link.verification.extract(request);
      if (!token) {
        refusals.push(new TokenRefusal('missing bearer token', 'missing'));
        continue;
      }
      const result = await link.verification.verify(token);
      if (result instanceof Auth) {
        const revoked = this.revocations?.refusal(result);
        if (revoked) return revoked;
        // Kept beside the Auth for relaying (ServiceCalls); a cached Auth has its token already.
        rememberPresentedToken(result, token);
        this.tokenCache?.offer(token, result, link.verification.clockTolerance);
        return result;
      }
      refusals.push(result);
    }
    return mostTelling(refusals);
  }

  /**
   * The chain's answer from the cache, when it can tell. Strategies in order, each with the token it
   * reads: a token this strategy verified before answers; one that a later strategy verified, of an
   * issuer this strategy leaves to others, would be passed on again, so the look-up goes on;
   * anything else must be verified in full.
   */
  private fromCache(request: { headers: IncomingHttpHeaders }): Auth | TokenRefusal | undefined {
    if (!this.tokenCache) return undefined;
    let lookedUp: string | undefined;
    let auth: Auth | undefined;
    for (const [i, verification] of this.verifications.entries()) {
      const token = verification.extract(request);
      if (!token) continue;
      // Strategies that read the same header look the token up once (one look-up counted).
      if (token !== lookedUp) {
        lookedUp = token;
        auth = this.tokenCache.get(token);
      }
      if (!auth) return undefined;
      if (auth.strategy === verification.strategy) return this.checked(token, auth);
      const cachedStrategy = auth.strategy;
      const laterStrategy = this.verifications.slice(i + 1).some((later) => later.strategy === cachedStrategy);
      if (!laterStrategy || !verification.declines(auth.claims.iss)) return undefined;
    }
    return undefined;
  }

  /** A cached Auth, unless it has been revoked since (then it leaves the cache). */
  private checked(token: string, auth: Auth): Auth | TokenRefusal {
    const refusal = this.revocations?.refusal(auth);
    if (!refusal) return auth;
    if (refusal.message === 'token revoked') this.tokenCache!.delete(token);
    return refusal;
  }
}
