import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import { SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { localPath } from './relay-state.js';
import type { SamlServiceProvider } from './saml-service-provider.js';
import { SamlUnavailableError } from './saml-unavailable.error.js';
import { clearedCookie, clearedLoginCookie, sessionCookie } from './session-cookie.js';

type Request = IncomingMessage & { body?: unknown; query?: Record<string, unknown>; secure?: boolean };
type Handler = (request: Request, response: ServerResponse) => Promise<void>;

const MAX_BODY_BYTES = 1_048_576;
/** What browsers keep of one cookie (name, value and attributes): RFC 6265's minimum. */
const MAX_COOKIE_BYTES = 4096;

/**
 * The SP's routes under `routePrefix`: `GET metadata`, `POST acs`, `GET login`, `GET logout`.
 * Registered on the Express instance itself, outside Nest's guards, pipes and global prefix: they
 * must answer anonymous browsers, whatever guards the app puts on its own routes.
 */
@Injectable()
export class SamlRoutes implements OnModuleInit {
  private readonly logger = new Logger('MicrokubesSaml');

  constructor(
    @Inject(SAML_SERVICE_PROVIDER) private readonly sp: SamlServiceProvider | null,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {}

  onModuleInit(): void {
    if (!this.sp) return;
    const adapter = this.adapterHost.httpAdapter;
    const type = adapter?.getType();
    if (type !== 'express') {
      throw new MicrokubesOptionsError('security.saml', `needs the Express adapter (@nestjs/platform-express); this app runs on ${type ?? 'no HTTP adapter'}`);
    }
    const prefix = this.sp.options.routePrefix === '/' ? '' : this.sp.options.routePrefix;
    const routes: Array<['get' | 'post', string, Handler]> = [
      ['get', `${prefix}/metadata`, (q, s) => this.metadata(q, s)],
      ['post', `${prefix}/acs`, (q, s) => this.acs(q, s)],
      ['get', `${prefix}/login`, (q, s) => this.login(q, s)],
      ['get', `${prefix}/logout`, (q, s) => this.logout(q, s)],
    ];
    for (const [method, path, handler] of routes) {
      adapter[method](path, (request: Request, response: ServerResponse) => {
        handler(request, response).catch((error: unknown) => {
          if (error instanceof SamlUnavailableError) {
            this.logger.error(`${method.toUpperCase()} ${path}: ${error.message}: ${(error.cause as Error)?.message ?? error.cause}`);
            if (!response.headersSent) json(response, 503, 'SAML login is unavailable');
            return;
          }
          this.logger.error(`${method.toUpperCase()} ${path} failed: ${(error as Error)?.message ?? error}`);
          if (!response.headersSent) json(response, 500, 'SAML service provider error');
        });
      });
    }
    this.logger.log(`SAML service provider ${this.sp.options.entityId}: ${routes.map(([m, p]) => `${m.toUpperCase()} ${p}`).join(', ')}`);
  }

  private async metadata(_request: Request, response: ServerResponse): Promise<void> {
    response.statusCode = 200;
    response.setHeader('Content-Type', 'application/xml; charset=utf-8');
    response.end(this.sp!.metadata);
  }

  /** The IdP's HTTP-POST Response: a session cookie and a redirect, or 401 and no session. */
  private async acs(request: Request, response: ServerResponse): Promise<void> {
    const sp = this.sp!;
    if (request.body === undefined) {
      const form = await readForm(request);
      if (!form) {
        // The rest is not read: the connection goes once the answer is out.
        response.setHeader('Connection', 'close');
        this.telemetry.samlLogin('malformed');
        return json(response, 413, 'the posted form is larger than 1 MB');
      }
      request.body = form;
    }
    const result = await sp.verifyResponse(request, response);
    if (result instanceof SamlUnavailableError) {
      this.telemetry.samlLogin('unavailable');
      throw result;
    }
    if (result instanceof TokenRefusal) {
      this.telemetry.samlLogin(result.reason);
      this.logger.debug(`Refused a SAML Response: ${result.message}`);
      return json(response, result.kind === 'missing' ? 400 : 401, result.kind === 'missing' ? result.message : `SAML Response refused: ${result.message}`);
    }
    const { cookieName, maxAge } = sp.options.session;
    const secure = sp.isSecure(request);
    const cookie = sessionCookie(cookieName, sp.sessions.seal(result), maxAge, secure);
    if (Buffer.byteLength(cookie) > MAX_COOKIE_BYTES) {
      // A browser would drop it, and every page would go back to the IdP.
      this.logger.warn(`Refused a SAML login of ${result.roles.length} roles: its session cookie would take ${Buffer.byteLength(cookie)} bytes`);
      this.telemetry.samlLogin('claims');
      return json(response, 401, `SAML Response refused: the session would not fit in a cookie (${result.roles.length} roles)`);
    }
    response.setHeader('Set-Cookie', [cookie, clearedLoginCookie(sp.options.loginCookieName, secure)]);
    this.telemetry.samlLogin();
    redirect(response, localPath((request.body as Record<string, unknown>).RelayState));
  }

  /** Starts a login by hand: `GET /saml/login?RelayState=/page`. */
  private async login(request: Request, response: ServerResponse): Promise<void> {
    const { location, cookie } = await this.sp!.startLogin(localPath(request.query?.RelayState), request);
    if (cookie) response.setHeader('Set-Cookie', cookie);
    redirect(response, location);
  }

  /** Ends the session here (the cookie), then back to a local page. */
  private async logout(request: Request, response: ServerResponse): Promise<void> {
    response.setHeader('Set-Cookie', clearedCookie(this.sp!.options.session.cookieName, this.sp!.isSecure(request)));
    redirect(response, localPath(request.query?.RelayState));
  }
}

function redirect(response: ServerResponse, location: string): void {
  response.statusCode = 302;
  response.setHeader('Location', location);
  response.setHeader('Cache-Control', 'no-store');
  response.end();
}

function json(response: ServerResponse, status: number, message: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(JSON.stringify({ code: status, message }));
}

/** The form, when the app turned Nest's body parser off; undefined when it is too large. */
async function readForm(request: Request): Promise<Record<string, string> | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) return {};
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
