import { Strategy } from 'passport-strategy';
import type { IncomingHttpHeaders } from 'node:http';
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

  constructor(
    private readonly codec: SamlSessionCodec,
    private readonly cookieName: string,
  ) {
    super();
  }

  override authenticate(request: { headers: IncomingHttpHeaders }): void {
    const value = readCookie(request.headers.cookie, this.cookieName);
    if (value === undefined) return this.fail(new TokenRefusal('missing SAML session cookie', 'missing'), 401);
    const session = this.codec.open(value);
    if (typeof session === 'string') return this.fail(new TokenRefusal(session), 401);
    this.success(authFromSession(session));
  }
}
