/**
 * An absolute-form target's scheme and authority, spelt so that every URL parser reads the same
 * authority: http(s), a host name, IPv4 or [IPv6] address, and a port of digits. Anything else
 * (userinfo, `%`, a port that is not a number) is read differently by Express's legacy url.parse,
 * which moves what follows an odd port into the path, and by Fastify's WHATWG parser.
 */
const ABSOLUTE_FORM = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?=[/?]|$)/i;

/**
 * The path of a request target as Node's HTTP parser hands it over (`request.url`), without the
 * query: the origin form's (`/a/b?q`) or the absolute form's (`http://host/a/b?q`), as the routers
 * read both; undefined for any other form (`*`, `*users`), or an absolute form whose authority is
 * not plainly a host and a port, which no route should see.
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
