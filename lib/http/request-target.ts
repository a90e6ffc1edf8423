const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The path of a request target as Node's HTTP parser hands it over (`request.url`), without the
 * query: the origin form's (`/a/b?q`) or the absolute form's (`http://host/a/b?q`), as the routers
 * read both; undefined for any other form (`*`, `*users`), which no route should see.
 */
export function targetPath(target: string): string | undefined {
  let path = target;
  if (!path.startsWith('/')) {
    const authority = ABSOLUTE_FORM.exec(path);
    if (!authority) return undefined;
    path = path.slice(authority[0].length);
    if (!path.startsWith('/')) path = `/${path}`;
  }
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
