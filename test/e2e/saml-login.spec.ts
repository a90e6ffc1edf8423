import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../support/test-app.js';
import { cookieOf, LoginBrowsers, platformKeysDir, readLoginRedirect, sessionCookieName, TestIdentityProvider, type PlatformKeysDir } from '../../lib/testing/index.js';
import { startSamlApp, type SamlApp } from '../support/saml-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
const html = { accept: 'text/html,application/xhtml+xml' };

describe('SAML login, against an IdP that signs as the platform does', () => {
  let keys: PlatformKeysDir;
  let app: SamlApp;
  let idp: TestIdentityProvider;
  const browsers = new LoginBrowsers();

  beforeAll(async () => {
    keys = platformKeysDir();
    idp = new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml });
    app = await startSamlApp(keys.dir, IDP);
  });
  afterAll(async () => {
    await app?.close();
    keys?.remove();
  });

  /** A login as the browser walks it, up to the ACS's answer. */
  async function login(path = '/page', fields: { roles?: string[] } = {}) {
    const { request, response: start } = await browsers.start(`${app.url}${path}`, { headers: html });
    expect(start.status).toBe(302);
    const xml = idp.signedResponse({
      inResponseTo: request.id,
      destination: app.acsUrl,
      recipient: app.acsUrl,
      audience: app.entityId,
      uid: 'user-7',
      username: 'jane@example.com',
      roles: fields.roles ?? ['user', 'admin'],
    });
    return { request, acs: await browsers.post(app.acsUrl, xml, request.relayState ?? undefined) };
  }

  it('sends a browser without a session to the IdP, with the page as RelayState and a signed AuthnRequest', async () => {
    const response = await fetch(`${app.url}/page?tab=2`, { headers: html, redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = response.headers.get('location') ?? '';
    expect(location.startsWith(`${IDP.ssoUrl}?SAMLRequest=`)).toBe(true);
    const request = readLoginRedirect(location);
    expect(request).toMatchObject({ issuer: app.entityId, acsUrl: app.acsUrl, destination: IDP.ssoUrl, relayState: '/page?tab=2', signed: true });
  });

  it('answers an API call without credentials with 401, not a redirect', async () => {
    const response = await getJson(`${app.url}/hello`);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ code: 401, message: 'missing bearer token or missing SAML session cookie' });
  });

  it('opens a session at the ACS and lands the browser back on its page', async () => {
    const { acs } = await login('/page?tab=2');
    expect(acs.status).toBe(302);
    expect(acs.headers.get('location')).toBe('/page?tab=2');
    const setCookie = acs.headers.getSetCookie()[0] ?? '';
    expect(setCookie.startsWith(`${sessionCookieName(app.entityId)}=`)).toBe(true);
    expect(setCookie).toMatch(/^microkubes_saml_[0-9a-f]{8}=[A-Za-z0-9_-]+; Path=\/; Max-Age=3600; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    // The login is over: its cookie goes.
    expect(acs.headers.getSetCookie()[1]).toMatch(/^microkubes_saml_[0-9a-f]{8}_login=; Path=\/; Max-Age=0;/);
    const page = await fetch(`${app.url}/page?tab=2`, { headers: { ...html, cookie: cookieOf(acs) ?? '' } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('<h1 id="username">jane@example.com</h1>');
    expect(text).toContain('<p id="roles">user,admin</p>');
  });

  it('gives handlers the Auth of the session', async () => {
    const { acs } = await login();
    const hello = await getJson(`${app.url}/hello`, { headers: { cookie: cookieOf(acs) ?? '' } });
    expect(hello.status).toBe(200);
    expect(hello.body.auth).toMatchObject({
      userId: 'user-7',
      username: 'jane@example.com',
      roles: ['user', 'admin'],
      organizations: [],
      namespaces: [],
      scopes: [],
      strategy: 'saml',
    });
  });
});
