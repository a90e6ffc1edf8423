/**
 * The request's raw path without the query string: `url`, the one the router matched (after any
 * rewrite), not `originalUrl` and not a decoded variant.
 */
export function pathOf(request: { url?: string }): string {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
