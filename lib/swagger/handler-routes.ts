import { RequestMethod, VersioningType, type INestApplication, type Type, type VersioningOptions } from '@nestjs/common';
import { METHOD_METADATA, MODULE_PATH, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
import { parse, type Token } from 'path-to-regexp';

/** One handler of a controller, and the paths it is served on, as the router registers them. */
export interface HandlerRoute {
  controller: Type;
  handler: object;
  /** `RequestMethod.ALL` for `@All()`. */
  method: RequestMethod;
  /** Each path in the document's form (`/api/v2/todos/{id}`), the global prefix included. */
  paths: string[];
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
        routes.push({ controller, handler, method, paths: paths.map(documentPath).filter((path): path is string => path !== undefined) });
      }
    }
  }
  return routes;
}

/** `/todos/:id` as the document writes it (`/todos/{id}`), as @nestjs/swagger converts it; undefined when it cannot be parsed. */
function documentPath(path: string): string | undefined {
  try {
    const text = (tokens: Token[]): string =>
      tokens.map((token) => (token.type === 'text' ? token.value : token.type === 'group' ? text(token.tokens) : `{${token.name}}`)).join('');
    const converted = text(parse(path).tokens);
    return converted === '' ? '/' : converted;
  } catch {
    return undefined;
  }
}

/** Two paths of the same shape: the same text, parameters anywhere named. */
export function samePath(a: string, b: string): boolean {
  return a.replace(/\{[^}]*\}/g, '{}') === b.replace(/\{[^}]*\}/g, '{}');
}

/** Whether a handler serves a method (lower case, as in the document). */
export function serves(route: HandlerRoute, method: string): boolean {
  return route.method === RequestMethod.ALL || RequestMethod[route.method] === method.toUpperCase();
}
