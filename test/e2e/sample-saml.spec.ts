import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, LoginBrowsers, platformKeysDir, TestIdentityProvider, type PlatformKeysDir } from '../../lib/testing/index.js';
import { freePort, getJson, startApp, type RunningApp } from '../support/test-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
const SAML_ENV = ['MICROKUBES_KEYS_DIR', 'SAML_IDP_SSO_URL', 'SAML_IDP_ENTITY_ID', 'SAML_SP_URL', 'SAML_IDP_CERT'];

describe('the sample service with SAML_* set', () => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let base: string;

  beforeAll(async () => {
    keys = platformKeysDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    Object.assign(process.env, {
      MICROKUBES_KEYS_DIR: keys.dir,
      SAML_IDP_SSO_URL: IDP.ssoUrl,
      SAML_IDP_ENTITY_ID: IDP.entityId,
      SAML_SP_URL: base,
      SAML_IDP_CERT: 'service.cert',
    });
    // Imported now: the sample reads SAML_* when its module is defined.
    const { AppModule } = await import('../../sample/src/app.module.js');
    running = await startApp('express', { imports: [AppModule] }, port);
  });
  afterAll(async () => {
    for (const name of SAML_ENV) delete process.env[name];
    await running?.close();
    keys?.remove();
  });

  it('sends a browser from GET /saml/hello to the IdP and greets it there after login', async () => {
    const browser = new LoginBrowsers();
    const { request, response: start } = await browser.start(`${base}/saml/hello`, { headers: { accept: 'text/html' } });
    expect(start.status).toBe(302);
    expect(request).toMatchObject({ issuer: `${base}/saml/metadata`, acsUrl: `${base}/saml/acs`, relayState: '/saml/hello' });
    const xml = new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml }).signedResponse({
      inResponseTo: request.id, destination: request.acsUrl, recipient: request.acsUrl, audience: request.issuer,
      uid: 'jane-id', username: 'jane@example.com', roles: ['user'],
    });
    const acs = await browser.post(request.acsUrl, xml, request.relayState ?? undefined);
    expect(acs.headers.get('location')).toBe('/saml/hello');
    const page = await fetch(`${base}/saml/hello`, { headers: { cookie: cookieOf(acs) ?? '' } });
    expect(await page.text()).toContain('<h1>Hello jane@example.com from NestJS service on Microkubes</h1>');
    // The same session on the JSON route.
    expect((await getJson(`${base}/hello`, { headers: { cookie: cookieOf(acs) ?? '' } })).body.auth.roles).toEqual(['user']);
  });
});
