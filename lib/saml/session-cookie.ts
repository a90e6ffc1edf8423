/** The most logins one browser may have in flight (tabs), in its login cookie. */
const MAX_PENDING_LOGINS = 4;

/** The Set-Cookie header of the SAML session: HttpOnly, SameSite=Lax, on every path of the site. */
export function sessionCookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  const expires = new Date(Date.now() + maxAgeSeconds * 1000).toUTCString();
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; Expires=${expires}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The header that removes a cookie (logout, a finished login). */
export function clearedCookie(name: string, secure: boolean, sameSite: 'Lax' | 'None' = 'Lax'): string {
  return `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
}

/**
 * The login cookie: the ids of the AuthnRequests this browser started, newest first, so that the
 * ACS takes only a Response to one of them. The IdP posts to the ACS from its own site: behind
 * https the cookie is `SameSite=None; Secure` so that the post carries it; on plain http, `Lax`
 * (it reaches the ACS when the IdP is on the same site, as behind the platform's Kong).
 */
export function loginCookie(name: string, requestId: string, cookieHeader: string | undefined, maxAgeSeconds: number, secure: boolean): string {
  const ids = [requestId, ...pendingLogins(cookieHeader, name).filter((id) => id !== requestId)].slice(0, MAX_PENDING_LOGINS);
  return `${name}=${ids.join('.')}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; ${secure ? 'SameSite=None; Secure' : 'SameSite=Lax'}`;
}

export function clearedLoginCookie(name: string, secure: boolean): string {
  return clearedCookie(name, secure, secure ? 'None' : 'Lax');
}

/** The request ids of the login cookie. */
export function pendingLogins(cookieHeader: string | undefined, name: string): string[] {
  return (readCookie(cookieHeader, name) ?? '').split('.').filter((id) => /^_[0-9a-f]{32}$/.test(id));
}

/** One cookie of a Cookie header; the first of that name, as browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
