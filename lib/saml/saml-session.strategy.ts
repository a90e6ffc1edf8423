import { Strategy } from 'passport-strategy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Auth } from '../auth/auth.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { authFromSession, type SamlSessionCodec } from './saml-session.js';
import { readCookie } from './session-cookie.js';

export const SAML_SESSION_STRATEGY = 'microkubes-saml-session';

/**
 * The SAML step of the security chain: the session cookie that the ACS set after a verified
 * Response. A missing cookie passes the turn; a tampered, foreign or expired one is refused.
 */
export class SamlSessionStrategy extends Strategy {
  readonly name = SAML_SESSION_STRATEGY;
  readonly strategyName = SAML_SESSION_STRATEGY;

  /** @internal built by the module */
  constructor(
    private readonly codec: SamlSessionCodec,
    private readonly cookieName: string,
  ) {
    super();
  }

  override authenticate(request: { headers: IncomingHttpHeaders }): void {
    const result = this.check(request);
    if (result instanceof TokenRefusal) return this.fail(result, 401);
    this.success(result);
  }

  /** The same answer without passport: the chain asks it directly when no token was presented. */
  check(request: { headers: IncomingHttpHeaders }): Auth | TokenRefusal {
    const value = readCookie(request.headers.cookie, this.cookieName);
    if (value === undefined) return new TokenRefusal('missing SAML session cookie', 'missing');
    const session = this.codec.open(value);
    if (typeof session !== 'string') return authFromSession(session);
    return new TokenRefusal(session, session === 'session expired' ? 'expired' : session.startsWith('malformed') ? 'malformed' : 'bad_signature').by('saml');
  }
}
