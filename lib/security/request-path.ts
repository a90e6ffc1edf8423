/** The request's raw path without the query string: what the router matched, not a decoded variant. */
export function pathOf(request: { url?: string; originalUrl?: string }): string {
  const url = request.originalUrl ?? request.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
