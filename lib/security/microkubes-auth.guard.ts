import { HttpException, Inject, Injectable, Logger, Optional, RequestMethod, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AclPolicyEnforcer } from '../acl/acl-policy.enforcer.js';
import { SKIP_ACL_KEY } from '../acl/skip-acl.decorator.js';
import { Auth } from '../auth/auth.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import type { ResolvedMicrokubesOptions, ResolvedSecurityOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS, SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import { SamlLoginRedirect } from '../saml/saml-login-redirect.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { MicrokubesAuthenticator } from './microkubes-authenticator.js';
import { routedPath } from '../http/routed-path.js';
import { pathOf } from './request-path.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import { SecurityException } from './security.exception.js';
import { quote } from './challenge-quote.js';
import type { TokenRefusal } from './token-refusal.js';

interface HttpRequest {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  originalUrl?: string;
  secure?: boolean;
  params?: Record<string, unknown>;
  user?: unknown;
}

/**
 * A context the guard cannot secure (WebSocket, RPC, GraphQL): refused, never passed, with a
 * debug line, as Nest itself answers only "Forbidden resource".
 */
export function refuseContext(logger: Logger, context: ExecutionContext): false {
  logger.debug(`Refused a ${context.getType()} call to ${context.getClass().name}.${context.getHandler().name}: only HTTP routes are secured here; mark it @Public() to let it through`);
  return false;
}

/**
 * Authenticates every request of the routes it guards with the security chain (JWT, OAuth2, then
 * the SAML session) and puts the caller's `Auth` on `request.user`; with `acl.enforcePolicies`,
 * then checks the ACL policies (403 when denied). With SAML, a browser's page request without
 * credentials is sent to the IdP (302) instead of refused. Public routes, `@Public()` handlers and
 * ignored methods pass.
 * Outside HTTP (WebSocket, RPC) it fails closed unless the handler is `@Public()`.
 */
@Injectable()
export class MicrokubesAuthGuard implements CanActivate {
  private readonly logger = new Logger('MicrokubesAuthGuard');
  private readonly security: ResolvedSecurityOptions;
  private readonly challengeScheme: string;
  private readonly enforcePolicies: boolean;
  /** Headers that carry a token: a request with one is an API call, never sent to the IdP. */
  private readonly tokenHeaders: readonly string[];

  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authenticator: MicrokubesAuthenticator,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    @Optional() private readonly aclEnforcer: AclPolicyEnforcer,
    @Optional() @Inject(SAML_SERVICE_PROVIDER) private readonly saml: SamlServiceProvider | null,
  ) {
    requireMicrokubesModule('MicrokubesAuthGuard', [authenticator, options, aclEnforcer]);
    this.tokenHeaders = [...new Set([options.security.jwt?.header, options.security.oauth2?.header, 'authorization'].filter((h): h is string => !!h))];
    this.security = options.security;
    this.enforcePolicies = options.acl.enforcePolicies;
    this.challengeScheme = options.security.jwt?.scheme ?? options.security.oauth2?.scheme ?? 'Bearer';
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    if (context.getType() !== 'http') return refuseContext(this.logger, context);

    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    // Already authenticated by this guard (global and route guard both in place).
    if (request.user instanceof Auth) return true;
    if (this.security.ignoreHttpMethods.has(request.method) && this.handlerIsFor(request.method, context)) return true;
    if (this.security.disabled) return true;
    // The route that will run, as the router matched it: neither a `#fragment`, nor an absolute
    // URL, nor an encoding can make a secured route look like a public one.
    if (this.security.publicRoutes.length > 0 && this.isPublicRoute(routedPath(request))) return true;

    const result = await this.authenticator.authenticate(request, http.getResponse()).catch((error: unknown) => {
      this.logger.error(`Authentication failed unexpectedly: ${(error as Error)?.message ?? error}`);
      return undefined;
    });
    if (result instanceof Auth) {
      request.user = result;
      if (this.enforcePolicies && !this.reflector.getAllAndOverride<boolean | undefined>(SKIP_ACL_KEY, [context.getHandler(), context.getClass()])) {
        this.aclEnforcer.enforce(result, request);
      }
      return true;
    }
    const refusal = result ?? { kind: 'invalid', message: 'authentication failed', scopes: [] };
    if (this.saml?.wantsLogin(request, this.tokenHeaders)) {
      // A browser: to the IdP, and back to this page after login.
      this.logger.debug(`Sent ${request.method} ${pathOf(request)} to the SAML IdP: ${refusal.message}`);
      await this.redirectToIdp(this.saml, request, http.getResponse<ServerResponse>());
    }
    this.logger.debug(`Refused ${request.method} ${pathOf(request)}: ${refusal.message}`);
    this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', this.challenge(refusal));
    throw new SecurityException(refusal.kind === 'insufficient_scope' ? 403 : 401, refusal.message);
  }

  /** Paths longer than `security.maxPathLength`, or that cannot be told, are never public. */
  private isPublicRoute(path: string | undefined): boolean {
    return path !== undefined && path.length <= this.security.maxPathLength && this.security.publicRoutes.some((route) => route.test(path));
  }

  /** 302 to the IdP, with the login cookie; 503 when a login cannot be started (the store failed). */
  private async redirectToIdp(saml: SamlServiceProvider, request: HttpRequest, response: ServerResponse): Promise<never> {
    let login: { location: string; cookie?: string };
    try {
      login = await saml.startLogin(request.originalUrl ?? request.url, request);
    } catch (error) {
      this.logger.error(`Cannot start a SAML login: ${(error as Error).message}: ${((error as Error).cause as Error)?.message ?? ''}`);
      throw new HttpException({ code: 503, message: 'SAML login is unavailable' }, 503);
    }
    response.setHeader('Location', login.location);
    // After any cookie the app set on this response already.
    if (login.cookie) response.appendHeader('Set-Cookie', login.cookie);
    throw new SamlLoginRedirect();
  }

  /**
   * An ignored method skips security only on a handler declared for that very method (`@Options`),
   * never on `@All()` or on a GET handler that Express also runs for HEAD.
   */
  private handlerIsFor(method: string, context: ExecutionContext): boolean {
    const declared = Reflect.getMetadata(METHOD_METADATA, context.getHandler()) as RequestMethod | undefined;
    return declared !== undefined && declared === RequestMethod[method as keyof typeof RequestMethod];
  }

  /** RFC 6750: an error code only when a token was presented. */
  private challenge(refusal: Pick<TokenRefusal, 'kind' | 'message' | 'scopes'>): string {
    const parts = [`${this.challengeScheme} realm="${quote(this.security.realm)}"`];
    if (refusal.kind === 'invalid' || refusal.kind === 'insufficient_scope') {
      parts.push(`error="${refusal.kind === 'invalid' ? 'invalid_token' : 'insufficient_scope'}"`);
      parts.push(`error_description="${quote(refusal.message)}"`);
    }
    if (refusal.kind === 'insufficient_scope') parts.push(`scope="${quote(refusal.scopes.join(' '))}"`);
    return parts.join(', ');
  }
}
