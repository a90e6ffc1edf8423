import { confined, fillTemplate, matchedVariant, templateTokens } from './route-template.js';
import { targetPath } from './request-target.js';

interface RoutedRequest {
  url?: string;
  params?: Record<string, unknown>;
  /** Express: the route that matched. */
  route?: { path?: unknown };
  /** Fastify: the route that matched. */
  routeOptions?: { url?: unknown };
}

/**
 * The path public routes and ACL policies are judged on: what the handler receives, the template
 * of the route that the router matched (its own text, as the code wrote it) with the parameters
 * the handler gets in their places, each confined to its place (see fillTemplate): `/:tenant/items`
 * called as `/public%2Fx/items` is judged as `/public%2Fx/items`, never as `/public/x/items`.
 * Two requests whose handler receives the same are judged the same: Fastify hands a wildcard over
 * decoded, so `/static/a%2Fb` is judged as `/static/a/b`, which its handler cannot tell apart.
 * The raw URL is not judged: the routers normalise what they match (Express ignores case and a
 * trailing slash; both decode `%xx`; an absolute URL does not change the route), so `/Admin/`
 * reaches `@Get('admin')`, and is judged as `/admin`. Undefined when it cannot be told (callers
 * fail closed).
 */
export function routedPath(request: RoutedRequest): string | undefined {
  const express = request.route?.path;
  const fastify = request.routeOptions?.url;
  const params = request.params ?? {};
  try {
    if (typeof express === 'string') {
      const path = targetPath(request.url ?? '/');
      const variant = path === undefined ? undefined : matchedVariant(express, templateTokens(express, 'express'), path);
      return variant && rooted(fillTemplate(variant, params));
    }
    if (typeof fastify === 'string') return rooted(fillTemplate(templateTokens(fastify, 'fastify'), params));
  } catch {
    return undefined;
  }
  return urlPath(request.url ?? '/');
}

function rooted(path: string): string {
  return path === '' ? '/' : path;
}

/** Without a matched route: the URL's path, each segment decoded and confined, without a trailing slash. */
function urlPath(url: string): string | undefined {
  const path = targetPath(url);
  if (path === undefined) return undefined;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    try {
      segments.push(confined(decodeURIComponent(segment)));
    } catch {
      return undefined;
    }
  }
  const joined = segments.join('/');
  return joined.length > 1 ? joined.replace(/\/+$/, '') || '/' : joined || '/';
}
