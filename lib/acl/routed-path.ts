import { pathOf } from '../security/request-path.js';

interface RoutedRequest {
  url?: string;
  params?: Record<string, unknown>;
  /** Express: the route that matched. */
  route?: { path?: unknown };
  /** Fastify: the route that matched. */
  routeOptions?: { url?: unknown };
}

/**
 * The path a policy is judged on: the route that the router matched, with the request's (decoded)
 * parameters filled in. Routers normalise what they match (Express ignores case and a trailing
 * slash; both decode `%xx`; an absolute URL or a `#` does not change the route), so the raw URL
 * could name another path than the handler that runs: `/Admin/` reaches `@Get('admin')`.
 */
export function routedPath(request: RoutedRequest): string {
  const template = request.route?.path ?? request.routeOptions?.url;
  if (typeof template !== 'string') return canonicalPath(request.url ?? '/');
  const params = request.params ?? {};
  const value = (name: string): string | undefined => {
    const given = params[name];
    if (Array.isArray(given)) return given.join('/');
    return given === undefined || given === null ? undefined : String(given);
  };
  const filled = template
    // Express 5 optional groups: `{/:id}`, kept when their parameter is there.
    .replace(/\{([^{}]*)\}/g, (_group, inner: string) => {
      const names = [...inner.matchAll(/[:*]([A-Za-z0-9_$]+)/g)].map((match) => match[1]!);
      return names.every((name) => value(name) !== undefined) ? inner : '';
    })
    .replace(/:([A-Za-z0-9_$]+)\??/g, (_param, name: string) => value(name) ?? '')
    .replace(/\*([A-Za-z0-9_$]+)?/g, (_wildcard, name?: string) => value(name ?? '*') ?? '');
  return filled === '' ? '/' : filled;
}

/** Without a matched route: the URL's path, decoded, with a trailing slash dropped. */
function canonicalPath(url: string): string {
  const path = new URL(pathOf({ url }), 'http://localhost').pathname;
  const decoded = path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }).join('/');
  return decoded.length > 1 ? decoded.replace(/\/+$/, '') || '/' : decoded;
}
