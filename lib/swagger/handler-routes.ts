import { RequestMethod, VersioningType, type INestApplication, type Type, type VersioningOptions } from '@nestjs/common';
import { METHOD_METADATA, MODULE_PATH, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { LegacyRouteConverter } from '@nestjs/core/router/legacy-route-converter.js';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
import { parse, type Token } from 'path-to-regexp';

/** A path a handler is served on. */
export interface ServedPath {
  /** In the document's form (`/api/v2/todos/{id}`), the global prefix included. */
  path: string;
  /**
   * Concrete paths of this route, for public routes to be matched on: each parameter given values
   * of different shapes (a wildcard's of several segments), each optional part left out and in.
   */
  probes: string[];
  /** What requests it matches, as Express matches them (a parameter one segment, a wildcard any). */
  matcher: RegExp;
}

/** One handler of a controller, and the paths it is served on, as the router registers them. */
export interface HandlerRoute {
  controller: Type;
  handler: object;
  /** `RequestMethod.ALL` for `@All()`. */
  method: RequestMethod;
  paths: ServedPath[];
}

interface AppConfig {
  getGlobalPrefix(): string;
  getVersioning(): VersioningOptions | undefined;
}

/**
 * Every handler of the app's controllers, with its paths computed as Nest's router computes them
 * (RoutePathFactory: module path, controller path, URI version, global prefix and its exclusions).
 * What the document cannot say itself: the path a public route is judged on, which handler
 * answers where two share an operation, whether the app has a route of its own on a path.
 */
export function handlerRoutes(app: INestApplication): HandlerRoute[] {
  const config = (app as unknown as { config?: AppConfig }).config;
  if (!config) return [];
  const factory = new RoutePathFactory(config as ConstructorParameters<typeof RoutePathFactory>[0]);
  const versioning = config.getVersioning();
  const scanner = new MetadataScanner();
  const modules = app.get(ModulesContainer, { strict: false });
  const routes: HandlerRoute[] = [];
  for (const module of modules.values()) {
    const modulePath = (Reflect.getMetadata(MODULE_PATH + modules.applicationId, module.metatype) ??
      Reflect.getMetadata(MODULE_PATH, module.metatype)) as string | undefined;
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller?.prototype) continue;
      const controllerVersion =
        versioning?.type === VersioningType.URI ? (Reflect.getMetadata(VERSION_METADATA, controller) ?? versioning.defaultVersion) : undefined;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (methodPath === undefined) continue;
        const method = (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) ?? RequestMethod.GET;
        let paths: string[];
        try {
          paths = factory.create(
            {
              ctrlPath: Reflect.getMetadata(PATH_METADATA, controller) as string | undefined,
              // A list of paths is taken too (appendToAllIfDefined).
              methodPath: methodPath as string,
              modulePath,
              globalPrefix: config.getGlobalPrefix(),
              methodVersion: Reflect.getMetadata(VERSION_METADATA, handler),
              controllerVersion,
              versioningOptions: versioning,
            },
            method,
          );
        } catch {
          continue;
        }
        routes.push({ controller, handler, method, paths: paths.map(servedPath).filter((path): path is ServedPath => path !== undefined) });
      }
    }
  }
  return routes;
}

/** A parameter's stand-ins, of different shapes; a wildcard's of several segments too. */
const PARAMETER_PROBES = ['1', 'x', 'A-z_0.~'];
const WILDCARD_PROBES = [...PARAMETER_PROBES, 'x/y'];

/**
 * A path as Nest registers it, read as @nestjs/swagger reads it (legacy `*` converted, Fastify's
 * `(^regex)` dropped, then path-to-regexp's syntax); undefined when it cannot be parsed.
 */
function servedPath(registered: string): ServedPath | undefined {
  let tokens: Token[];
  try {
    tokens = parse(LegacyRouteConverter.tryConvert(registered, { logs: false }).replace(/\(\^([^)]+)\)/g, '')).tokens;
  } catch {
    return undefined;
  }
  const path = render(tokens, (token) => `{${token.name}}`, true);
  const probes = new Set<string>();
  WILDCARD_PROBES.forEach((_, i) => {
    const probe = (token: { type: 'param' | 'wildcard' }) => (token.type === 'wildcard' ? WILDCARD_PROBES[i]! : PARAMETER_PROBES[i % PARAMETER_PROBES.length]!);
    probes.add(rooted(render(tokens, probe, true)));
    probes.add(rooted(render(tokens, probe, false)));
  });
  const pattern = (list: Token[]): string =>
    list
      .map((token) =>
        token.type === 'text' ? token.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : token.type === 'param' ? '[^/]+' : token.type === 'wildcard' ? '.+' : `(?:${pattern(token.tokens)})?`,
      )
      .join('');
  return { path: rooted(path), probes: [...probes], matcher: new RegExp(`^${pattern(tokens)}/?$`, 'i') };
}

/** The tokens as text: each parameter as `value` gives it, each optional group in or left out. */
function render(tokens: Token[], value: (token: { type: 'param' | 'wildcard'; name: string }) => string, groups: boolean): string {
  return tokens
    .map((token) => (token.type === 'text' ? token.value : token.type === 'group' ? (groups ? render(token.tokens, value, groups) : '') : value(token)))
    .join('');
}

function rooted(path: string): string {
  return path === '' ? '/' : path;
}

/** Concrete paths for a path of the document whose route is not known: each parameter a single segment. */
export function probesOf(path: string): string[] {
  return [...new Set(PARAMETER_PROBES.map((probe) => path.replace(/\{[^}]*\}/g, probe)))];
}

/** A path of the router (a global prefix) in the document's form. */
export function documentForm(path: string): string {
  return servedPath(path)?.path ?? path;
}

/** Two paths of the same shape: the same text, parameters anywhere named. */
export function samePath(a: string, b: string): boolean {
  return a.replace(/\{[^}]*\}/g, '{}') === b.replace(/\{[^}]*\}/g, '{}');
}

/** Whether a handler serves a method (lower case, as in the document). */
export function serves(route: HandlerRoute, method: string): boolean {
  return route.method === RequestMethod.ALL || RequestMethod[route.method] === method.toUpperCase();
}
