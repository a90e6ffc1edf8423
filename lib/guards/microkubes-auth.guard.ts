import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { AclPolicyEnforcer } from '../acl/acl-policy.enforcer.js';
import { SKIP_ACL_KEY } from '../acl/skip-acl.decorator.js';
import { Auth } from '../auth/auth.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS, SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { MicrokubesAuthenticator } from '../security/microkubes-authenticator.js';
import { IS_PUBLIC_KEY } from '../security/public.decorator.js';
import { refusalOf } from '../security/refusal.js';
import { TokenRefusal } from '../security/token-refusal.js';
import type { TransportAdapter } from '../transports/transport-adapter.js';
import { Transports } from '../transports/transports.js';
import { callerHolder, callerOf, rememberCaller } from '../transports/call-callers.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { refuseContext } from './refuse-context.js';

/**
 * Authenticates every call of the handlers it guards with the security chain (JWT, OAuth2, then
 * the SAML session), on HTTP routes, GraphQL resolvers, WebSocket gateways and message handlers
 * alike, and keeps the caller's `Auth` for the call (`request.user` on HTTP and GraphQL; the
 * socket, for WebSockets; the message's context, for RPC);
 * with `acl.enforcePolicies`, then checks the ACL policies. What is transport-specific (where the
 * credentials are, what a call reaches, how it is refused) is each transport's (lib/transports).
 * Public routes, `@Public()` handlers and ignored methods pass. A context no transport knows (a
 * custom one) is refused, with a debug line.
 */
@Injectable()
export class MicrokubesAuthGuard implements CanActivate {
  private readonly logger = new Logger('MicrokubesAuthGuard');
  private readonly transports: Transports;
  private readonly enforcePolicies: boolean;
  private readonly disabled: boolean;
  private readonly inFlight = new WeakMap<object, Promise<Auth | TokenRefusal>>();

  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authenticator: MicrokubesAuthenticator,
    adapterHost: HttpAdapterHost,
    @Optional() @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    @Optional() private readonly aclEnforcer: AclPolicyEnforcer,
    @Optional() @Inject(SAML_SERVICE_PROVIDER) saml: SamlServiceProvider | null,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    requireMicrokubesModule('MicrokubesAuthGuard', [authenticator, options, aclEnforcer]);
    this.transports = new Transports(options.security, adapterHost, saml);
    this.enforcePolicies = options.acl.enforcePolicies;
    this.disabled = options.security.disabled;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const transport = await this.transportFor(context);
    if (!transport) return refuseContext(this.logger, context);
    let known: Auth | undefined;
    try {
      known = callerOf(context);
    } catch {
      // A context whose call cannot be read: refused as unknown.
      return refuseContext(this.logger, context);
    }
    // Authenticated already on this call (global and handler guard both in place, another field of
    // this GraphQL operation) or this socket: only what this call reaches is left to check.
    if (known && !expired(known)) return this.checkPolicies(context, transport, known);
    if (this.disabled || transport.passesUnauthenticated(context)) return true;

    const result = await this.authenticate(context, transport);
    if (result instanceof Auth) {
      rememberCaller(context, result);
      return this.checkPolicies(context, transport, result);
    }
    return transport.refuse(context, refusalOf(result));
  }

  /**
   * The caller's authentication, shared by the calls on one holder: the 50 fields of a GraphQL
   * operation run at once, and make one verification. Forgotten once settled, so that a socket
   * whose caller expired is authenticated again.
   */
  private authenticate(context: ExecutionContext, transport: TransportAdapter): Promise<Auth | TokenRefusal> {
    const holder = callerHolder(context);
    const pending = holder && this.inFlight.get(holder);
    if (pending) return pending;
    const startedAt = this.telemetry.startTime();
    const credentials = transport.credentials(context);
    const verified = credentials instanceof TokenRefusal ? Promise.resolve(credentials) : this.authenticator.verify(credentials);
    const result = verified.then((result) => {
      if (holder) this.inFlight.delete(holder);
      this.telemetry.authenticated(transport.label, result, startedAt);
      // HTTP logs its refusals itself, with the route.
      if (!(result instanceof Auth) && context.getType() !== 'http') {
        this.logger.debug(`Refused ${credentials instanceof TokenRefusal ? context.getType() : credentials.from}: ${result.message}`);
      }
      return result;
    });
    if (holder) this.inFlight.set(holder, result);
    return result;
  }

  /**
   * For the access guards: authenticates a call that passed without a caller (a public route, an
   * ignored method) when its access rules need one, so that `@Public()` beside `@Roles()` admits
   * the callers who hold the roles rather than no one. Refuses as the guard does; false when
   * security is off. @internal
   */
  async authenticatePassedCall(context: ExecutionContext, transport: TransportAdapter): Promise<boolean> {
    if (this.disabled) return false;
    const result = await this.authenticate(context, transport);
    if (!(result instanceof Auth)) return transport.refuse(context, refusalOf(result));
    rememberCaller(context, result);
    // Judged as every caller this guard authenticates: by the ACL policies too.
    return this.checkPolicies(context, transport, result);
  }

  /** The transport of this call; undefined for a context no transport knows. @internal the access guards use it */
  async transportFor(context: ExecutionContext): Promise<TransportAdapter | undefined> {
    return this.transports.for(context);
  }

  private async checkPolicies(context: ExecutionContext, transport: TransportAdapter, auth: Auth): Promise<boolean> {
    if (!this.enforcePolicies || this.reflector.getAllAndOverride<boolean | undefined>(SKIP_ACL_KEY, [context.getHandler(), context.getClass()])) return true;
    const refusal = this.aclEnforcer.refusal(auth, transport.target(context), transport.callKey(context));
    this.telemetry.authorized(transport.label, 'policies', !refusal, transport.callKey(context));
    if (refusal) await transport.refuse(context, { status: 403, message: refusal });
    return true;
  }
}

/** A caller kept on a connection outlives its token: past `exp`, it is authenticated again (and refused). */
export function expired(auth: Auth): boolean {
  const exp = auth.claims.exp;
  return typeof exp === 'number' && Math.floor(Date.now() / 1000) >= exp;
}
