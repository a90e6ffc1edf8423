import { HttpException, Logger, RequestMethod, type ExecutionContext } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { actionOf } from '../acl/acl-policy.js';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { routedPath } from '../http/routed-path.js';
import { SamlLoginRedirect } from '../saml/saml-login-redirect.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { bearerChallenge } from '../security/bearer-challenge.js';
import { pathOf } from '../security/request-path.js';
import { SecurityException } from '../security/security.exception.js';
import { rawHeadersOf, repeatedTokenHeader } from '../security/token-credentials.js';
import type { TokenRefusal } from '../security/token-refusal.js';
import type { AccessTarget, Credentials, Refusal, TransportAdapter } from './transport-adapter.js';

interface HttpRequest {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  originalUrl?: string;
  secure?: boolean;
  params?: Record<string, unknown>;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
}

/**
 * HTTP, on Express and Fastify: the token and session cookie from the request's headers, the
 * caller on `request.user`, the route that runs judged as the router matched it (routedPath),
 * public routes and ignored methods, and refusals as 401/403 `{code, message}` with an RFC 6750
 * challenge, or, for a browser with SAML on, a 302 to the IdP.
 */
export class HttpTransport implements TransportAdapter {
  readonly label = 'http';
  private readonly logger = new Logger('MicrokubesAuthGuard');
  /** Headers that carry a token: a request with one is an API call, never sent to the IdP. */
  private readonly tokenHeaders: readonly string[];

  constructor(
    private readonly security: ResolvedSecurityOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly saml: SamlServiceProvider | null,
  ) {
    this.tokenHeaders = [...new Set([security.jwt?.header, security.oauth2?.header, 'authorization'].filter((h): h is string => !!h))];
  }

  /** The request's headers; a token header sent twice is ambiguous (Node keeps the first, a proxy may keep the last): refused. */
  credentials(context: ExecutionContext): Credentials | TokenRefusal {
    const request = this.request(context);
    const repeated = repeatedTokenHeader(this.security, { headers: request.headers, rawHeaders: rawHeadersOf(request) });
    return repeated ?? { headers: request.headers, from: `${request.method} ${pathOf(request)}` };
  }

  requestId(context: ExecutionContext): unknown {
    return this.request(context).headers['x-request-id'];
  }

  passesUnauthenticated(context: ExecutionContext): boolean {
    const request = this.request(context);
    if (this.security.ignoreHttpMethods.has(request.method) && handlerIsFor(request.method, context)) return true;
    // The route that will run, as the router matched it: neither a `#fragment`, nor an absolute
    // URL, nor an encoding can make a secured route look like a public one.
    return this.security.publicRoutes.length > 0 && this.isPublicRoute(routedPath(request));
  }

  target(context: ExecutionContext): AccessTarget {
    const request = this.request(context);
    return { resource: routedPath(request), action: actionOf(request.method), facts: request.params };
  }

  callKey(context: ExecutionContext): object {
    return this.request(context);
  }

  async refuse(context: ExecutionContext, refusal: Refusal): Promise<never> {
    const http = context.switchToHttp();
    const request = this.request(context);
    if (refusal.token) {
      if (this.saml?.wantsLogin(request, this.tokenHeaders)) {
        // A browser: to the IdP, and back to this page after login.
        this.logger.debug(`Sent ${request.method} ${pathOf(request)} to the SAML IdP: ${refusal.message}`);
        await this.redirectToIdp(this.saml, request, http.getResponse<ServerResponse>());
      }
      this.logger.debug(`Refused ${request.method} ${pathOf(request)}: ${refusal.message}`);
      this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', bearerChallenge(this.security, refusal.token));
    }
    throw new SecurityException(refusal.status, refusal.message);
  }

  private request(context: ExecutionContext): HttpRequest {
    return context.switchToHttp().getRequest<HttpRequest>();
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
}

/**
 * An ignored method skips security only on a handler declared for that very method (`@Options`),
 * never on `@All()` or on a GET handler that Express also runs for HEAD.
 */
function handlerIsFor(method: string, context: ExecutionContext): boolean {
  const declared = Reflect.getMetadata(METHOD_METADATA, context.getHandler()) as RequestMethod | undefined;
  return declared !== undefined && declared === RequestMethod[method as keyof typeof RequestMethod];
}
