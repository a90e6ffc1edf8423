import { DOMParser } from '@xmldom/xmldom';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamlSessionCodec } from '../../lib/saml/saml-session.js';
import { cookieOf, jwtIssuerToken, LoginBrowsers, platformKeysDir, postResponse, samlKeyPair, sessionCookieName, TestIdentityProvider, type PlatformKeysDir, type ResponseFields } from '../../lib/testing/index.js';
import { startSamlApp, startSamlAppOnPort, type SamlApp } from '../support/saml-app.js';
import { freePort, getJson } from '../support/test-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
/** The AuthnRequest XML of a login redirect. */
const inflated = (location: string) => inflateRawSync(Buffer.from(new URL(location).searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
const html = { accept: 'text/html' };

/** An IdP with a key pair of its own, beside the platform's shared service.key/service.cert. */
const idpKeys = samlKeyPair('test-idp');
let keys: PlatformKeysDir;
beforeAll(() => {
  keys = platformKeysDir();
  writeFileSync(join(keys.dir, 'idp.cert'), idpKeys.certificatePem);
});
afterAll(() => keys?.remove());
/** The IdP signing with its own pair; and signing with the platform's shared one. */
const ownSigner = () => new TestIdentityProvider({ entityId: IDP.entityId, keys: idpKeys });
const sharedSigner = () => new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml });

/** Starts an app, runs `run`, closes it. */
async function withSamlApp(options: Parameters<typeof startSamlApp>[2], run: (app: SamlApp) => Promise<void>): Promise<void> {
  const app = await startSamlApp(keys.dir, IDP, options);
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

/** The test's browser: starts logins and posts Responses with their login cookies. */
const browser = new LoginBrowsers();
const post = (acsUrl: string, xml: string) => browser.post(acsUrl, xml);

async function responseFor(app: SamlApp, idp: TestIdentityProvider, overrides: Partial<ResponseFields> = {}, sign = (xml: string) => idp.sign(idp.sign(xml, 'Assertion'), 'Response')) {
  const { id } = (await browser.start(`${app.url}/saml/login`)).request;
  return sign(idp.responseXml({ inResponseTo: id, destination: app.acsUrl, recipient: app.acsUrl, audience: app.entityId, uid: 'u1', username: 'jane@example.com', roles: ['user'], ...overrides }));
}

describe('SAML start-up', () => {
  it('fails on Fastify, saying that SAML needs Express', async () => {
    await expect(startSamlApp(keys.dir, IDP, {}, { platform: 'fastify' })).rejects.toThrow(
      'Invalid MicrokubesModule option "security.saml": needs the Express adapter (@nestjs/platform-express); this app runs on fastify',
    );
  });

  it('fails without the SP key in the key store', async () => {
    await expect(startSamlApp(keys.dir, IDP, { privateKeyName: 'missing.key' })).rejects.toThrow('"security.saml.privateKeyName": no private key "missing.key" in the key store');
  });

  it.each([
    [{ entityId: '' }, '"security.saml.entityId": must be a non-empty string'],
    [{ acsUrl: '/saml/acs' }, '"security.saml.acsUrl": must be an absolute http(s) URL (got "/saml/acs")'],
    [{ idpCert: 'nowhere.cert' }, '"security.saml.idpCert": "nowhere.cert" is neither a key-store entry, nor a file, nor a PEM'],
    [{ routePrefix: 'saml' }, '"security.saml.routePrefix": must be a path such as "/saml" (got "saml")'],
    [{ session: { secret: 'short' } }, '"security.saml.session.secret": must be a string of at least 32 bytes'],
    [{ registration: { required: true } }, '"security.saml.registration.required": needs security.saml.registrationUrl'],
  ])('refuses %j', async (options, message) => {
    await expect(startSamlApp(keys.dir, IDP, options as never)).rejects.toThrow(message);
  });
});

describe("microkubes-python's SAML config, as its README shows it", () => {
  /** The seed's `configSAML`, with this test's URLs: python3-saml's settings plus registration_url and the key names. */
  const seedConfig = (base: string, idpCertBody: string) => ({
    strict: true,
    debug: false,
    sp: {
      entityId: `${base}/saml/metadata`,
      assertionConsumerService: { url: `${base}/saml/acs`, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' },
      x509cert: '',
      privateKey: '',
    },
    idp: {
      entityId: IDP.entityId,
      singleSignOnService: { url: IDP.ssoUrl, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect' },
      x509cert: idpCertBody,
    },
    security: {
      nameIdEncrypted: false, authnRequestsSigned: false, signMetadata: true, wantMessagesSigned: true,
      wantAssertionsSigned: true, wantNameId: false, wantNameIdEncrypted: false, wantAssertionsEncrypted: false,
    },
    privateKeyName: 'service.key',
    certName: 'service.cert',
  });
  const certBody = idpKeys.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');

  it('is taken as it is, the IdP certificate as python3-saml takes it (base64, no PEM lines)', async () => {
    const port = await freePort();
    const app = await startSamlAppOnPort(port, keys.dir, IDP, seedConfig(`http://127.0.0.1:${port}`, certBody) as never);
    try {
      expect((await post(app.acsUrl, await responseFor(app, ownSigner()))).status).toBe(302);
      expect((await post(app.acsUrl, await responseFor(app, sharedSigner()))).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it.each([
    [{ security: { wantAssertionsSigned: false } }, '"security.saml.security.wantAssertionsSigned": signed assertions are always required'],
    [{ idp: { entityId: IDP.entityId, singleSignOnService: { url: IDP.ssoUrl, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' } } }, '"security.saml.idp.singleSignOnService.binding": only urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect is sent'],
  ])('refuses what it cannot honour: %j', async (change, message) => {
    const port = await freePort();
    await expect(startSamlAppOnPort(port, keys.dir, IDP, { ...seedConfig(`http://127.0.0.1:${port}`, ''), ...change } as never)).rejects.toThrow(message);
  });
});

describe('the IdP certificate', () => {
  it.each<[string, () => string]>([
    ['a key-store entry', () => 'idp.cert'],
    ['a PEM', () => idpKeys.certificatePem],
    ['a file', () => join(keys.dir, 'idp.cert')],
  ])('given as %s, is the only one trusted', async (_how, idpCert) => {
    await withSamlApp({ idpCert: idpCert() }, async (app) => {
      expect((await post(app.acsUrl, await responseFor(app, ownSigner()))).status).toBe(302);
      expect((await post(app.acsUrl, await responseFor(app, sharedSigner()))).status).toBe(401);
    });
  });

  it('defaults to the shared service.cert, with a warning', async () => {
    await withSamlApp({ idpCert: undefined }, async (app) => {
      expect(app.logger.lines.some((line) => line.includes('security.saml.idpCert is not set'))).toBe(true);
      expect((await post(app.acsUrl, await responseFor(app, sharedSigner()))).status).toBe(302);
      expect((await post(app.acsUrl, await responseFor(app, ownSigner()))).status).toBe(401);
    });
  });
});

describe('SAML routes and options', () => {
  let idp: TestIdentityProvider;
  beforeAll(() => {
    idp = sharedSigner();
  });

  it('serves the SP metadata, signed by the SP key', async () => {
    await withSamlApp({}, async (app) => {
      const response = await fetch(`${app.url}/saml/metadata`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
      const xml = await response.text();
      const doc = new DOMParser().parseFromString(xml, 'text/xml');
      expect(doc.documentElement?.getAttribute('entityID')).toBe(app.entityId);
      expect(xml).toContain(`Location="${app.acsUrl}"`);
      expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
      const verifier = new SignedXml({ publicCert: keys.saml.certificatePem });
      verifier.loadSignature(doc.getElementsByTagNameNS(DSIG_NS, 'Signature')[0] as unknown as Node);
      expect(verifier.checkSignature(xml)).toBe(true);
      const other = new SignedXml({ publicCert: samlKeyPair('rogue').certificatePem });
      other.loadSignature(doc.getElementsByTagNameNS(DSIG_NS, 'Signature')[0] as unknown as Node);
      expect(() => other.checkSignature(xml)).toThrow();
    });
  });

  it('logs out by clearing the cookie, then goes to a local page', async () => {
    await withSamlApp({}, async (app) => {
      const response = await fetch(`${app.url}/saml/logout?RelayState=/bye`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/bye');
      expect(response.headers.getSetCookie()[0]?.startsWith(`${sessionCookieName(app.entityId)}=; Path=/; Max-Age=0;`)).toBe(true);
      const absolute = await fetch(`${app.url}/saml/logout?RelayState=https://evil.test`, { redirect: 'manual' });
      expect(absolute.headers.get('location')).toBe('/');
    });
  });

  it('works behind a global prefix: the page comes back with it', async () => {
    const app = await startSamlApp(keys.dir, IDP, {}, { globalPrefix: 'api' });
    try {
      const { request } = await browser.start(`${app.url}/api/page?x=1`, { headers: html });
      expect(request.relayState).toBe('/api/page?x=1');
      const xml = idp.signedResponse({ inResponseTo: request.id, destination: app.acsUrl, recipient: app.acsUrl, audience: app.entityId, uid: 'u1', username: 'jane@example.com' });
      const acs = await browser.post(app.acsUrl, xml, request.relayState ?? undefined);
      expect(acs.headers.get('location')).toBe('/api/page?x=1');
      expect((await fetch(`${app.url}/api/page?x=1`, { headers: { cookie: cookieOf(acs) ?? '' } })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('reads the posted form itself when the app turned the body parser off', async () => {
    const app = await startSamlApp(keys.dir, IDP, {}, { bodyParser: false });
    try {
      expect((await post(app.acsUrl, await responseFor(app, idp))).status).toBe(302);
      const huge = await fetch(app.acsUrl, { method: 'POST', body: `SAMLResponse=${'A'.repeat(2 * 1024 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(huge.status).toBe(413);
    } finally {
      await app.close();
    }
  });

  it('sends a browser\'s HEAD to the IdP too', async () => {
    await withSamlApp({}, async (app) => {
      expect((await fetch(`${app.url}/page`, { method: 'HEAD', headers: html, redirect: 'manual' })).status).toBe(302);
    });
  });

  it('serves its routes under routePrefix', async () => {
    await withSamlApp({ routePrefix: '/auth/sso/' }, async (app) => {
      expect((await fetch(`${app.url}/auth/sso/metadata`)).status).toBe(200);
      expect((await fetch(`${app.url}/saml/metadata`)).status).toBe(404);
    });
  });

  it('answers browsers with 401 when redirectBrowsers is false', async () => {
    await withSamlApp({ redirectBrowsers: false }, async (app) => {
      expect((await fetch(`${app.url}/page`, { headers: html, redirect: 'manual' })).status).toBe(401);
    });
  });

  it('answers a browser that presents a bad token with 401, not a login', async () => {
    await withSamlApp({}, async (app) => {
      const response = await fetch(`${app.url}/page`, { headers: { ...html, authorization: 'Bearer not.a.token' }, redirect: 'manual' });
      expect(response.status).toBe(401);
    });
  });

  it('accepts a platform JWT on the same routes as the session', async () => {
    await withSamlApp({}, async (app) => {
      const token = jwtIssuerToken(keys.default.privateKey, { userId: 'api-1', username: 'api@example.com' });
      const response = await getJson(`${app.url}/hello`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(response.body.auth).toMatchObject({ username: 'api@example.com', strategy: 'jwt' });
    });
  });

  it('seals the cookie with session.secret, opens the old secret after a rotation, and sets maxAge and Secure', async () => {
    const oldSecret = 'o'.repeat(32);
    const newSecret = 'n'.repeat(32);
    await withSamlApp({ session: { secret: [newSecret, oldSecret], maxAge: 120, secure: true, cookieName: 'sso' } }, async (app) => {
      const response = await post(app.acsUrl, await responseFor(app, idp));
      expect(response.headers.getSetCookie()[0]).toMatch(/^sso=[\w-]+; Path=\/; Max-Age=120; Expires=[^;]+; HttpOnly; SameSite=Lax; Secure$/);
      const value = (cookieOf(response, 'sso') ?? '').split('=')[1] ?? '';
      expect(SamlSessionCodec.fromSecrets([Buffer.from(newSecret)], app.entityId).open(value)).toMatchObject({ username: 'jane@example.com' });
      const now = Math.floor(Date.now() / 1000);
      const sealedBefore = SamlSessionCodec.fromSecrets([Buffer.from(oldSecret)], app.entityId).seal({ userId: 'u0', username: 'old@example.com', roles: [], iss: IDP.entityId, iat: now, exp: now + 60 });
      expect((await getJson(`${app.url}/hello`, { headers: { cookie: `sso=${sealedBefore}` } })).body.auth.username).toBe('old@example.com');
    });
  });

  it('ends the session when the IdP says, if that is before session.maxAge', async () => {
    await withSamlApp({}, async (app) => {
      const ends = new Date(Date.now() + 120_000);
      const response = await post(app.acsUrl, await responseFor(app, idp, { sessionNotOnOrAfter: ends }));
      const value = (cookieOf(response) ?? '').split('=')[1] ?? '';
      const codec = SamlSessionCodec.fromPrivateKey(keys.saml.privateKey, app.entityId);
      const session = codec.open(value);
      expect(typeof session === 'object' && session.exp).toBe(Math.floor(ends.getTime() / 1000));
      const ended = await post(app.acsUrl, await responseFor(app, idp, { sessionNotOnOrAfter: new Date(Date.now() - 1000) }));
      expect(ended.status).toBe(401);
    });
  });

  it('sets Secure when the ACS URL is https (TLS ended before the service)', async () => {
    await withSamlApp({ acsUrl: 'https://sp.example.com/saml/acs' }, async (app) => {
      const response = await post(`${app.url}/saml/acs`, await responseFor(app, idp));
      expect(response.status).toBe(302);
      expect(response.headers.getSetCookie()[0]).toMatch(/; Secure$/);
    });
  });

  it('binds a login to its browser with a login cookie: SameSite=Lax on http, None and Secure behind https', async () => {
    await withSamlApp({}, async (app) => {
      const { response } = await browser.start(`${app.url}/saml/login`);
      expect(response.headers.getSetCookie()[0]).toMatch(/^microkubes_saml_[0-9a-f]{8}_login=_[0-9a-f]{32}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    });
    await withSamlApp({ acsUrl: 'https://sp.example.com/saml/acs' }, async (app) => {
      const { response } = await browser.start(`${app.url}/saml/login`);
      expect(response.headers.getSetCookie()[0]).toMatch(/; HttpOnly; SameSite=None; Secure$/);
    });
  });

  it('keeps the last four logins of a browser (tabs), newest first', async () => {
    await withSamlApp({}, async (app) => {
      let cookie = '';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${app.url}/saml/login`, { redirect: 'manual', headers: { cookie } });
        cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
        ids.unshift(/ID="([^"]+)"/.exec(inflated(response.headers.get('location') ?? ''))?.[1] ?? '');
      }
      expect(cookie.split('=')[1]).toBe(ids.slice(0, 4).join('.'));
    });
  });

  it('takes a Response from any browser with bindLoginToBrowser: false', async () => {
    await withSamlApp({ bindLoginToBrowser: false }, async (app) => {
      const { response } = await browser.start(`${app.url}/saml/login`);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await postResponse(app.acsUrl, await responseFor(app, idp))).status).toBe(302);
    });
  });

  it('answers 503, without the store\'s words, when the request-id store fails', async () => {
    const failing = {
      save: async () => { throw new Error('ECONNREFUSED 10.0.0.7:6379'); },
      get: async () => { throw new Error('ECONNREFUSED 10.0.0.7:6379'); },
      take: async () => { throw new Error('ECONNREFUSED 10.0.0.7:6379'); },
    };
    await withSamlApp({ requestIdStore: failing }, async (app) => {
      for (const url of [`${app.url}/page`, `${app.url}/saml/login`]) {
        const response = await getJson(url, { headers: html, redirect: 'manual' });
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ code: 503, message: 'SAML login is unavailable' });
      }
      expect(app.logger.lines.some((line) => line.includes('ECONNREFUSED 10.0.0.7:6379'))).toBe(true);
    });
    // The store fails between the login and the Response.
    const ids = new Map<string, string>();
    const failsLater = { ...failing, save: async (id: string, value: string) => void ids.set(id, value) };
    await withSamlApp({ requestIdStore: failsLater }, async (app) => {
      const response = await post(app.acsUrl, await responseFor(app, idp));
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ code: 503, message: 'SAML login is unavailable' });
    });
  });

  it('allows clockSkew seconds past NotOnOrAfter (default 30), and no more', async () => {
    const late = { issuedAt: new Date(Date.now() - 110_000) };
    await withSamlApp({}, async (app) => {
      expect((await post(app.acsUrl, await responseFor(app, idp, late))).status).toBe(302);
    });
    await withSamlApp({ clockSkew: 0 }, async (app) => {
      expect((await post(app.acsUrl, await responseFor(app, idp, late))).status).toBe(401);
    });
  });

  it('accepts an unsigned Response around a signed Assertion only with requireSignedResponse: false', async () => {
    await withSamlApp({ requireSignedResponse: false }, async (app) => {
      const assertionOnly = (xml: string) => idp.sign(xml, 'Assertion');
      expect((await post(app.acsUrl, await responseFor(app, idp, {}, assertionOnly))).status).toBe(302);
      const unsigned = (xml: string) => xml;
      expect((await post(app.acsUrl, await responseFor(app, idp, {}, unsigned))).status).toBe(401);
    });
  });
});
