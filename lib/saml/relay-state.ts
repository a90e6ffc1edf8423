const BASE = 'http://relay-state.invalid';

/**
 * Where to send the browser after login: RelayState when it is a path of this service
 * (`/orders?id=1`), else `/`. Absolute, protocol-relative (`//evil`), backslashed (`/\evil`) and
 * control-character values would leave the site, so there is no open redirect.
 */
export function localPath(relayState: unknown): string {
  if (typeof relayState !== 'string' || relayState.length > 2048) return '/';
  if (!relayState.startsWith('/') || /[\\\s\x00-\x1f\x7f]/.test(relayState) || relayState.startsWith('//')) return '/';
  let url: URL;
  try {
    url = new URL(relayState, BASE);
  } catch {
    return '/';
  }
  return url.origin === BASE ? `${url.pathname}${url.search}${url.hash}` : '/';
}
