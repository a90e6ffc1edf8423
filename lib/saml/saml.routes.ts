import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import { SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { localPath } from './relay-state.js';
import type { SamlServiceProvider } from './saml-service-provider.js';
import { clearedSessionCookie, sessionCookie } from './session-cookie.js';

type Request = IncomingMessage & { body?: unknown; query?: Record<string, unknown>; secure?: boolean };
type Handler = (request: Request, response: ServerResponse) => Promise<void>;

const MAX_BODY_BYTES = 1_048_576;

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
    if (request.body === undefined) request.body = await readForm(request);
    const result = await sp.verifyResponse(request, response);
    if (result instanceof TokenRefusal) {
      this.logger.debug(`Refused a SAML Response: ${result.message}`);
      return json(response, result.kind === 'missing' ? 400 : 401, result.kind === 'missing' ? result.message : `SAML Response refused: ${result.message}`);
    }
    const { cookieName, maxAge } = sp.options.session;
    response.setHeader('Set-Cookie', sessionCookie(cookieName, sp.sessions.seal(result), maxAge, this.secure(request)));
    redirect(response, localPath((request.body as Record<string, unknown>).RelayState));
  }

  /** Starts a login by hand: `GET /saml/login?RelayState=/page`. */
  private async login(request: Request, response: ServerResponse): Promise<void> {
    redirect(response, await this.sp!.loginUrl(localPath(request.query?.RelayState)));
  }

  /** Ends the session here (the cookie), then back to a local page. */
  private async logout(request: Request, response: ServerResponse): Promise<void> {
    response.setHeader('Set-Cookie', clearedSessionCookie(this.sp!.options.session.cookieName, this.secure(request)));
    redirect(response, localPath(request.query?.RelayState));
  }

  private secure(request: Request): boolean {
    return this.sp!.options.session.secure ?? (this.sp!.options.acsUrl.startsWith('https:') || request.secure === true);
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

/** The form, when the app turned Nest's body parser off. */
async function readForm(request: Request): Promise<Record<string, string>> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) return {};
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return {};
    chunks.push(chunk as Buffer);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
