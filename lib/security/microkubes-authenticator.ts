import jwt from 'jsonwebtoken';
import passport, { type Strategy } from 'passport';
import { Auth } from '../auth/auth.js';
import { mostTelling, TokenRefusal } from './token-refusal.js';

/** A strategy with the name it is registered under (`microkubes-jwt`, `microkubes-oauth2`). */
export type NamedStrategy = Strategy & { readonly strategyName: string };

/**
 * The security chain: the configured passport strategies, tried in order on a passport instance
 * of this module's own (so that two apps in one process never share strategies). The first
 * success wins; otherwise the most telling refusal is returned.
 */
export class MicrokubesAuthenticator {
  private readonly passport = new passport.Authenticator();
  readonly strategyNames: readonly string[];

  constructor(strategies: readonly NamedStrategy[]) {
    for (const strategy of strategies) this.passport.use(strategy.strategyName, strategy);
    this.strategyNames = strategies.map((strategy) => strategy.strategyName);
  }

  authenticate(request: object, response: object): Promise<Auth | TokenRefusal> {
    if (this.strategyNames.length === 0) {
      return Promise.resolve(new TokenRefusal('no authentication strategy is configured'));
    }
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
