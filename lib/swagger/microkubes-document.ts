import type { INestApplication, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { DECORATORS, SwaggerModule, type OpenAPIObject, type OperationObject, type SwaggerDocumentOptions } from '@nestjs/swagger';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { moduleOperations } from './module-operations.js';
import { routeSecurity, type DocumentedRoute, type RouteSecurity } from './route-security.js';
import { ERROR_SCHEMA, ERROR_SCHEMA_NAME, forbiddenResponse, RESPONSE_NAMES, samlLoginResponse, unauthorizedResponse } from './security-responses.js';
import { SCHEME_NAMES, securityRequirements, securitySchemes } from './security-schemes.js';

/** Carried by each operation while @nestjs/swagger builds the document: which handler serves it. */
const HANDLER_MARK = 'x-microkubes-handler';
/** What a path item holds besides its operations. */
const NOT_OPERATIONS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters']);
const OUR_SCHEMES = new Set<string>(Object.values(SCHEME_NAMES));

interface Handler {
  controller: Type;
  handler: object;
}

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
  const handlers = markHandlers(app);
  let document: OpenAPIObject;
  try {
    document = SwaggerModule.createDocument(app, config, options);
  } finally {
    handlers.restore();
  }
  describeSecurity(document, settings, handlers.byMark, globalGuards(app));
  return document;
}

function moduleOptions(app: INestApplication): ResolvedMicrokubesOptions {
  try {
    return app.get<ResolvedMicrokubesOptions>(MICROKUBES_OPTIONS, { strict: false });
  } catch {
    throw new Error('createMicrokubesDocument(): MicrokubesModule is not imported by this app');
  }
}

/**
 * Marks each handler of the app's controllers with an extension @nestjs/swagger copies onto the
 * operations it documents (what `@ApiExtension` does): each operation then names its handler,
 * whatever its path, prefix, version or operationId. `restore()` puts the metadata back.
 */
function markHandlers(app: INestApplication): { byMark: Map<number, Handler[]>; restore(): void } {
  const byMark = new Map<number, Handler[]>();
  const marks = new Map<object, number>();
  const restores: Array<() => void> = [];
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer, { strict: false }).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller?.prototype) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        let mark = marks.get(handler);
        if (mark === undefined) {
          mark = marks.size;
          marks.set(handler, mark);
          const own = Reflect.getOwnMetadata(DECORATORS.API_EXTENSION, handler) as Record<string, unknown> | undefined;
          Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...own, [HANDLER_MARK]: mark }, handler);
          restores.push(() =>
            own === undefined ? Reflect.deleteMetadata(DECORATORS.API_EXTENSION, handler) : Reflect.defineMetadata(DECORATORS.API_EXTENSION, own, handler),
          );
          byMark.set(mark, []);
        }
        // A handler inherited by two controllers is one function: both are candidates.
        byMark.get(mark)!.push({ controller, handler });
      }
    }
  }
  return { byMark, restore: () => restores.forEach((restore) => restore()) };
}

/** The app's global guards (`useGlobalGuards`, `APP_GUARD`), where @nestjs/swagger finds the app's config too. */
function globalGuards(app: INestApplication): readonly unknown[] {
  const config = (app as unknown as { config?: { getGlobalGuards?(): unknown[] } }).config;
  return config?.getGlobalGuards?.() ?? [];
}

function describeSecurity(document: OpenAPIObject, options: ResolvedMicrokubesOptions, handlers: Map<number, Handler[]>, guards: readonly unknown[]): void {
  const { security } = options;
  const requirements = securityRequirements(security);
  const documentWide = (document.security?.length ?? 0) > 0;
  const unauthorized = { $ref: `#/components/responses/${RESPONSE_NAMES.unauthorized}` };
  const samlLogin = security.saml?.redirectBrowsers ? { $ref: `#/components/responses/${RESPONSE_NAMES.samlLogin}` } : undefined;

  const describe = (operation: OperationObject, method: string, route: RouteSecurity) => {
    if (route.access === 'public') {
      // No credentials are asked: none of ours, and none from the document's defaults.
      const others = (operation.security ?? []).filter((requirement) => !Object.keys(requirement).some((name) => OUR_SCHEMES.has(name)));
      if (others.length > 0 || operation.security || documentWide) operation.security = others;
      return;
    }
    if (requirements.length > 0) operation.security = route.access === 'partly-public' ? [{}, ...requirements] : [...requirements];
    operation.responses['401'] = unauthorized;
    if (samlLogin && (method === 'get' || method === 'head')) operation.responses['302'] = samlLogin;
    const forbidden = forbiddenResponse(route);
    if (forbidden) operation.responses['403'] = forbidden;
    if (route.access === 'partly-public') {
      const note = 'Public for some values of its path parameters (security.publicRoutes); the others need credentials.';
      operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
    }
  };

  for (const [path, item] of Object.entries(document.paths ?? {})) {
    // Every method @nestjs/swagger wrote, `search` of an @All() handler too.
    for (const [method, value] of Object.entries(item)) {
      if (NOT_OPERATIONS.has(method) || typeof value !== 'object' || value === null) continue;
      const operation = value as OperationObject & Record<string, unknown>;
      const mark = operation[HANDLER_MARK];
      delete operation[HANDLER_MARK];
      const candidates = typeof mark === 'number' ? (handlers.get(mark) ?? []) : [];
      const route = mostDemanding(candidates.map((candidate) => routeSecurity({ ...candidate, method, path } satisfies DocumentedRoute, options, guards)));
      if (route) describe(operation, method, route);
    }
  }

  for (const [path, operation] of moduleOperations(options.endpoints)) {
    // The app's own GET route of that path answers there (the module warns and does not serve it).
    if (document.paths[path]?.get) continue;
    const healthCheck = options.endpoints.healthCheck;
    if (healthCheck && path === healthCheck.path && !healthCheck.public) {
      if (requirements.length > 0) operation.security = [...requirements];
      operation.responses['401'] = unauthorized;
    } else if (documentWide) {
      operation.security = [];
    }
    document.paths[path] = { ...document.paths[path], get: operation };
  }

  document.components ??= {};
  document.components.securitySchemes = { ...document.components.securitySchemes, ...securitySchemes(security) };
  document.components.schemas = { ...document.components.schemas, [ERROR_SCHEMA_NAME]: ERROR_SCHEMA };
  document.components.responses = {
    ...document.components.responses,
    [RESPONSE_NAMES.unauthorized]: unauthorizedResponse(security),
    ...(samlLogin && { [RESPONSE_NAMES.samlLogin]: samlLoginResponse() }),
  };
}

/**
 * One function serving two controllers (inherited), told apart by nothing in the document: the
 * document claims the most a request may need, so that a client that follows it is never refused
 * for lack of credentials.
 */
function mostDemanding(routes: Array<RouteSecurity | undefined>): RouteSecurity | undefined {
  const guarded = routes.filter((route): route is RouteSecurity => route !== undefined);
  if (guarded.length <= 1) return guarded[0];
  const rank = { public: 0, 'partly-public': 1, secured: 2 } as const;
  const access = guarded.reduce((most, route) => (rank[route.access] > rank[most] ? route.access : most), guarded[0]!.access);
  return {
    access,
    roles: guarded.find((route) => route.roles)?.roles,
    grants: guarded.find((route) => route.grants)?.grants,
    policies: guarded.some((route) => route.policies),
    scopes: guarded[0]!.scopes,
  };
}
