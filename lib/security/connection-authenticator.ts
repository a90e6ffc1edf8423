import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions, ResolvedSecurityOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { TokenRevocations } from '../revocation/token-revocations.js';
import type { Credentials } from './credentials.js';
import { MicrokubesAuthenticator } from './microkubes-authenticator.js';
import { refusalOf, type Refusal } from './refusal.js';
import { tokenCredentials, upgradeCredentials, type UpgradeRequest } from './token-credentials.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { TokenRefusal } from './token-refusal.js';

/** setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Authenticates a long-lived connection once, at its handshake (a socket.io or ws socket, a
 * graphql-ws connection), with the same security chain as every call, and ends it when its token
 * expires. The adapters of `microkubes-nestjs/socket.io`, `/ws` and `/graphql` use it; so can an
 * adapter of your own. Knows no transport: the adapters find the credentials and do the closing.
 */
@Injectable()
export class ConnectionAuthenticator {
  private readonly logger = new Logger('MicrokubesConnections');
  readonly security: ResolvedSecurityOptions;

  constructor(
    private readonly authenticator: MicrokubesAuthenticator,
    @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    @Optional() private readonly revocations?: TokenRevocations,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    this.security = options.security;
  }

  /**
   * The connection's caller, or why it is refused; `null` when `security.disable` lets every
   * connection in without one. A refusal is logged at debug level, with where the credentials
   * were found and never with them. `transport` labels it in telemetry.
   */
  async authenticate(credentials: Credentials | TokenRefusal, from = 'connection', transport: 'websocket' | 'graphql' = 'websocket'): Promise<Auth | Refusal | null> {
    if (this.security.disabled) return null;
    const startedAt = this.telemetry.startTime();
    const result = credentials instanceof TokenRefusal ? credentials : await this.authenticator.verify(credentials);
    this.telemetry.authenticated(transport, result, startedAt);
    if (result instanceof Auth) return result;
    this.logger.debug(`Refused ${credentials instanceof TokenRefusal ? from : credentials.from}: ${result.message}`);
    return refusalOf(result);
  }

  /** Credentials made of a token given as a value (`auth.token`, `connectionParams.authorization`). */
  tokenCredentials(token: unknown, from: string): Credentials | TokenRefusal {
    return tokenCredentials(this.security, token, from);
  }

  /** Credentials from an upgrade request's token headers (never its cookies). */
  upgradeCredentials(request: UpgradeRequest, from: string): Credentials | TokenRefusal {
    return upgradeCredentials(this.security, request, from);
  }

  /**
   * Calls `onEnd` once the caller's token expires: at `exp`, plus the clock tolerance its
   * strategy allows (until then, a new call with the token would still be accepted); or, with
   * `security.revocation`, once it is revoked. Returns the cancel function, to call when the
   * connection closes first. A token without `exp` never expires.
   */
  untilExpiry(auth: Auth, onEnd: (reason: 'token expired' | 'token revoked') => void): () => void {
    let ended = false;
    const end = (reason: 'token expired' | 'token revoked'): void => {
      if (ended) return;
      ended = true;
      cancelExpiry();
      cancelRevocation();
      onEnd(reason);
    };
    const cancelRevocation = this.revocations?.watch(auth, () => end('token revoked')) ?? (() => {});
    const cancelExpiry = this.untilExp(auth, () => end('token expired'));
    return () => {
      ended = true;
      cancelExpiry();
      cancelRevocation();
    };
  }

  private untilExp(auth: Auth, onExpiry: () => void): () => void {
    const exp = auth.claims.exp;
    if (typeof exp !== 'number') return () => {};
    const tolerance = (auth.strategy === 'oauth2' ? this.security.oauth2 : this.security.jwt)?.clockTolerance ?? 0;
    const endsAt = (exp + tolerance) * 1000;
    let timer: NodeJS.Timeout;
    const wait = (): void => {
      const left = endsAt - Date.now();
      if (left <= 0) return onExpiry();
      timer = setTimeout(wait, Math.min(left, MAX_TIMER_DELAY));
      // An open connection keeps the process alive by itself; its expiry timer must not.
      timer.unref();
    };
    // Never at once: the connection is set up before it can be ended.
    timer = setTimeout(wait, Math.max(0, Math.min(endsAt - Date.now(), MAX_TIMER_DELAY)));
    timer.unref();
    return () => clearTimeout(timer);
  }
}
