const BASE = 'http://relay-state.invalid';

/**
 * Where to send the browser after login: RelayState when it is a path of this service
 * (`/orders?id=1`), else `/`. Absolute, protocol-relative (`//evil`), backslashed (`/\evil`) and
 * control-character values would leave the site, and so would dot segments that resolve to one
 * (`/.//evil`): the resolved path is checked too. There is no open redirect.
 */
export function localPath(relayState: unknown): string {
  if (typeof relayState !== 'string' || relayState.length > 2048) return '/';
  if (!isLocal(relayState)) return '/';
  let url: URL;
  try {
    url = new URL(relayState, BASE);
  } catch {
    return '/';
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === BASE && isLocal(path) ? path : '/';
}

function isLocal(path: string): boolean {
  return path.startsWith('/') && !/^\/[/\\]/.test(path) && !/[\\\s\x00-\x1f\x7f]/.test(path);
}
