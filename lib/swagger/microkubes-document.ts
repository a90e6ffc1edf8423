import type { INestApplication } from '@nestjs/common';
import { DECORATORS, SwaggerModule, type OpenAPIObject, type OperationObject, type SecurityRequirementObject, type SwaggerDocumentOptions } from '@nestjs/swagger';
import type { ResolvedMicrokubesOptions, ResolvedSecurityOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { documentForm, handlerRoutes, probesOf, samePath, serves, type HandlerRoute, type ServedPath } from './handler-routes.js';
import { moduleOperations } from './module-operations.js';
import { routeSecurity, type RouteSecurity } from './route-security.js';
import { ERROR_SCHEMA, ERROR_SCHEMA_NAME, forbiddenResponse, RESPONSE_NAMES, samlLoginResponse, unauthorizedResponse } from './security-responses.js';
import { SCHEME_NAMES, securityRequirements, securitySchemes } from './security-schemes.js';

/** Carried by each operation while @nestjs/swagger builds the document: which handler serves it. */
const HANDLER_MARK = 'x-microkubes-handler';
/** What a path item holds besides its operations. */
const NOT_OPERATIONS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters']);
const OUR_SCHEMES = new Set<string>(Object.values(SCHEME_NAMES));

/**
 * `SwaggerModule.createDocument(app, config, options)`, and the document says what the module
 * enforces: its security schemes (bearer JWT, OAuth2, the SAML session cookie, as they are on);
 * on each operation its guards secure, those schemes, a 401 `{code, message}` with the
 * `WWW-Authenticate` challenge, and a 403 naming the roles, grants, policies or scopes it
 * requires; on those it lets through (`@Public()`, public routes, ignored methods), no security;
 * and the module's own GET /healthcheck and /version. Operations no module guard guards are left
 * as @nestjs/swagger made them. HTTP only: GraphQL, WebSockets and message handlers are not in an
 * OpenAPI document.
 */
export function createMicrokubesDocument(
  app: INestApplication,
  config: Omit<OpenAPIObject, 'paths'>,
  options?: SwaggerDocumentOptions,
): OpenAPIObject {
  const settings = moduleOptions(app);
  const routes = handlerRoutes(app);
  const marks = markHandlers(routes);
  let document: OpenAPIObject;
  try {
    document = SwaggerModule.createDocument(app, config, options);
  } finally {
    marks.restore();
  }
  new SecurityDescription(document, settings, routes, marks.handlers, appConfig(app), options?.ignoreGlobalPrefix === true).describe();
  return document;
}

function moduleOptions(app: INestApplication): ResolvedMicrokubesOptions {
  try {
    return app.get<ResolvedMicrokubesOptions>(MICROKUBES_OPTIONS, { strict: false });
  } catch {
    throw new Error('createMicrokubesDocument(): MicrokubesModule is not imported by this app');
  }
}

interface AppConfig {
  /** In the document's form (`/tenants/{tenant}`), or empty. */
  globalPrefix: string;
  globalGuards: readonly unknown[];
  /** Express matches the app's routes before the module's, by pattern; Fastify prefers a static path. */
  express: boolean;
}

/** The global prefix and guards (`useGlobalGuards`, `APP_GUARD`), where @nestjs/swagger finds the app's config too. */
function appConfig(app: INestApplication): AppConfig {
  const config = (app as unknown as { config?: { getGlobalPrefix?(): string; getGlobalGuards?(): unknown[] } }).config;
  const prefix = documentForm((config?.getGlobalPrefix?.() ?? '').replace(/^\/*/, '/').replace(/\/+$/, ''));
  return {
    globalPrefix: prefix === '/' ? '' : prefix,
    globalGuards: config?.getGlobalGuards?.() ?? [],
    express: app.getHttpAdapter()?.getType?.() === 'express',
  };
}

/**
 * Marks each handler with an extension @nestjs/swagger copies onto the operations it documents
 * (what `@ApiExtension` does): each operation then names its handler, whatever its path, prefix,
 * version or operationId. `restore()` puts the metadata back.
 */
function markHandlers(routes: readonly HandlerRoute[]): { handlers: Map<number, HandlerRoute[]>; restore(): void } {
  const handlers = new Map<number, HandlerRoute[]>();
  const marks = new Map<object, number>();
  const restores: Array<() => void> = [];
  for (const route of routes) {
    const { handler } = route;
    let mark = marks.get(handler);
    if (mark === undefined) {
      mark = marks.size;
      marks.set(handler, mark);
      const own = Reflect.getOwnMetadata(DECORATORS.API_EXTENSION, handler) as Record<string, unknown> | undefined;
      Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...own, [HANDLER_MARK]: mark }, handler);
      restores.push(() =>
        own === undefined ? Reflect.deleteMetadata(DECORATORS.API_EXTENSION, handler) : Reflect.defineMetadata(DECORATORS.API_EXTENSION, own, handler),
      );
      handlers.set(mark, []);
    }
    // A handler inherited by two controllers is one function: both are candidates.
    handlers.get(mark)!.push(route);
  }
  return { handlers, restore: () => restores.forEach((restore) => restore()) };
}

interface DescribedOperation {
  path: string;
  method: string;
  operation: OperationObject & Record<string, unknown>;
  security?: RouteSecurity;
}

/** The module's security written into one document. */
class SecurityDescription {
  private readonly security: ResolvedSecurityOptions;
  private readonly requirements: SecurityRequirementObject[];
  private readonly documentWide: boolean;
  private readonly unauthorized = { $ref: `#/components/responses/${RESPONSE_NAMES.unauthorized}` };
  private readonly samlLogin?: { $ref: string };

  constructor(
    private readonly document: OpenAPIObject,
    private readonly options: ResolvedMicrokubesOptions,
    private readonly routes: readonly HandlerRoute[],
    private readonly handlers: Map<number, HandlerRoute[]>,
    private readonly app: AppConfig,
    private readonly ignoreGlobalPrefix: boolean,
  ) {
    this.security = options.security;
    // Off, no credentials are asked, and none would be taken.
    this.requirements = this.security.disabled ? [] : securityRequirements(this.security);
    this.documentWide = (document.security?.length ?? 0) > 0;
    if (this.security.saml?.redirectBrowsers && !this.security.disabled) this.samlLogin = { $ref: `#/components/responses/${RESPONSE_NAMES.samlLogin}` };
  }

  describe(): void {
    const operations = this.operations();
    const seen = new Set<HandlerRoute>();
    for (const described of operations) {
      const mark = described.operation[HANDLER_MARK];
      delete described.operation[HANDLER_MARK];
      const candidates = typeof mark === 'number' ? this.servingOnly(this.handlers.get(mark) ?? [], described) : [];
      candidates.forEach((route) => seen.add(route));
      described.security = merged(candidates.map((route) => this.routeSecurity(route, described)));
    }
    // Handlers @nestjs/swagger left out because another took their operation (header or
    // media-type versions of one path): a request may reach either, so both count.
    for (const route of this.routes) {
      if (seen.has(route)) continue;
      for (const described of operations) {
        if (!serves(route, described.method) || !this.served(route, described)) continue;
        described.security = merged([described.security, this.routeSecurity(route, described)]);
      }
    }
    for (const described of operations) if (described.security) this.describeOperation(described, described.security);
    for (const item of Object.values(this.document.webhooks ?? {})) {
      for (const operation of Object.values(item as Record<string, unknown>)) if (isOperation(operation)) delete operation[HANDLER_MARK];
    }
    this.addModuleOperations();
    this.addComponents();
  }

  private operations(): DescribedOperation[] {
    const operations: DescribedOperation[] = [];
    for (const [path, item] of Object.entries(this.document.paths ?? {})) {
      // Every method @nestjs/swagger wrote, `search` of an @All() handler too.
      for (const [method, operation] of Object.entries(item)) {
        if (!NOT_OPERATIONS.has(method) && isOperation(operation)) operations.push({ path, method, operation: operation as unknown as DescribedOperation['operation'] });
      }
    }
    return operations;
  }

  /** Of a function two controllers inherit, the controller whose route this is. */
  private servingOnly(candidates: HandlerRoute[], described: DescribedOperation): HandlerRoute[] {
    if (candidates.length <= 1) return candidates;
    const serving = candidates.filter((route) => this.served(route, described));
    return serving.length > 0 ? serving : candidates;
  }

  private routeSecurity(route: HandlerRoute, described: DescribedOperation): RouteSecurity | undefined {
    // Public routes are judged on the path the router serves, the global prefix included.
    const probes = this.served(route, described)?.probes ?? probesOf(this.prefixed(described.path));
    return routeSecurity({ controller: route.controller, handler: route.handler, method: described.method, probes }, this.options, this.app.globalGuards);
  }

  /**
   * The handler's served path that an operation of the document stands for: the same, or, with
   * `ignoreGlobalPrefix`, the same once prefixed (a route excluded from the prefix is the same).
   */
  private served(route: HandlerRoute, described: DescribedOperation): ServedPath | undefined {
    return (
      route.paths.find((served) => samePath(served.path, described.path)) ??
      (this.ignoreGlobalPrefix ? route.paths.find((served) => samePath(served.path, this.prefixed(described.path))) : undefined)
    );
  }

  private prefixed(path: string): string {
    return this.ignoreGlobalPrefix && this.app.globalPrefix ? `${this.app.globalPrefix}${path === '/' ? '' : path}` : path;
  }

  private describeOperation({ operation, method }: DescribedOperation, route: RouteSecurity): void {
    if (route.access === 'public') {
      // No credentials are asked: none of ours, and none from the document's defaults.
      const others = (operation.security ?? []).filter((requirement) => !Object.keys(requirement).some((name) => OUR_SCHEMES.has(name)));
      if (others.length > 0 || operation.security || this.documentWide) operation.security = others;
      return;
    }
    if (this.requirements.length > 0) operation.security = route.access === 'partly-public' ? [{}, ...this.requirements] : [...this.requirements];
    else if (this.documentWide) operation.security = [];
    operation.responses['401'] = this.unauthorized;
    if (this.samlLogin && (method === 'get' || method === 'head')) operation.responses['302'] = this.samlLogin;
    const forbidden = forbiddenResponse(route);
    if (forbidden) operation.responses['403'] = forbidden;
    const note =
      this.requirements.length === 0
        ? 'security.disable is on, and an access rule needs a caller: every request is refused.'
        : route.access === 'partly-public'
          ? 'Public for some requests (some values of its path parameters, or another handler on this path); the others need credentials.'
          : undefined;
    if (note) operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
  }

  private addModuleOperations(): void {
    const { endpoints } = this.options;
    for (const [path, operation] of moduleOperations(endpoints)) {
      // The app's own GET route of that path answers there (the module warns and does not serve
      // it), documented or not.
      if (this.document.paths[path]?.get || this.routes.some((route) => serves(route, 'get') && route.paths.some((served) => this.answers(served, path)))) continue;
      // With security off, the health check asks for nothing either.
      if (endpoints.healthCheck && path === endpoints.healthCheck.path && !endpoints.healthCheck.public && !this.security.disabled) {
        if (this.requirements.length > 0) operation.security = [...this.requirements];
        else if (this.documentWide) operation.security = [];
        operation.responses['401'] = this.unauthorized;
      } else if (this.documentWide) {
        operation.security = [];
      }
      // Outside the global prefix: where the servers carry it (with ignoreGlobalPrefix), not here.
      const servers = this.ignoreGlobalPrefix && this.app.globalPrefix ? this.serversWithoutPrefix() : undefined;
      if (servers) operation.servers = servers;
      this.document.paths[path] = { ...this.document.paths[path], get: operation };
    }
  }

  /** Whether an app's route answers GET `path` before the module's. */
  private answers(served: ServedPath, path: string): boolean {
    return this.app.express ? served.matcher.test(path) : samePath(served.path, path);
  }

  private serversWithoutPrefix(): OpenAPIObject['servers'] {
    const servers = this.document.servers ?? [];
    if (!servers.some((server) => server.url.replace(/\/+$/, '').endsWith(this.app.globalPrefix))) return undefined;
    return servers.map((server) => {
      const url = server.url.replace(/\/+$/, '');
      return url.endsWith(this.app.globalPrefix) ? { ...server, url: url.slice(0, -this.app.globalPrefix.length) || '/' } : server;
    });
  }

  private addComponents(): void {
    const components = (this.document.components ??= {});
    if (!this.security.disabled) components.securitySchemes = { ...components.securitySchemes, ...securitySchemes(this.security) };
    components.schemas = { ...components.schemas, [ERROR_SCHEMA_NAME]: ERROR_SCHEMA };
    components.responses = {
      ...components.responses,
      [RESPONSE_NAMES.unauthorized]: unauthorizedResponse(this.security),
      ...(this.samlLogin && { [RESPONSE_NAMES.samlLogin]: samlLoginResponse() }),
    };
  }
}

function isOperation(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'responses' in value;
}

/**
 * What one operation asks where several handlers may answer it (a function two controllers
 * inherit, header versions of one path): what they all ask, else partly public; every 403 any of
 * them may give. A handler no module guard guards lets every request through.
 */
function merged(routes: Array<RouteSecurity | undefined>): RouteSecurity | undefined {
  const guarded = routes.filter((route): route is RouteSecurity => route !== undefined);
  if (guarded.length === 0 || routes.length === 1) return guarded[0];
  const accesses = new Set(routes.map((route) => route?.access ?? 'public'));
  return {
    access: accesses.size === 1 ? guarded[0]!.access : 'partly-public',
    roles: guarded.find((route) => route.roles)?.roles,
    grants: guarded.find((route) => route.grants)?.grants,
    policies: guarded.some((route) => route.policies),
    scopes: guarded[0]!.scopes,
  };
}
