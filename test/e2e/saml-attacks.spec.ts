import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SamlSessionCodec } from '../../lib/saml/saml-session.js';
import { cookieOf, LoginBrowsers, platformKeysDir, postResponse, samlKeyPair, sessionCookieName, TestIdentityProvider, type PlatformKeysDir, type ResponseFields } from '../../lib/testing/index.js';
import { startSamlApp, type SamlApp } from '../support/saml-app.js';
import { getJson } from '../support/test-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const serialize = (doc: unknown) => new XMLSerializer().serializeToString(doc as Node);
const firstOf = (node: { getElementsByTagNameNS(ns: string, name: string): ArrayLike<Element> }, ns: string, name: string) =>
  node.getElementsByTagNameNS(ns, name)[0] as Element;

/** Rewrites every eduPersonAffiliation value of an assertion element to `roles`. */
function setRoles(assertion: Element, roles: string[]): void {
  const attribute = Array.from(assertion.getElementsByTagNameNS(ASSERTION_NS, 'Attribute')).find((a) => a.getAttribute('FriendlyName') === 'eduPersonAffiliation') as Element;
  while (attribute.firstChild) attribute.removeChild(attribute.firstChild);
  for (const role of roles) {
    const value = assertion.ownerDocument.createElementNS(ASSERTION_NS, 'saml:AttributeValue');
    value.appendChild(assertion.ownerDocument.createTextNode(role));
    attribute.appendChild(value);
  }
}

describe.each(['sha1', 'sha256'] as const)('SAML Responses signed by RSA-%s: attacks are refused and open no session', (algorithm) => {
  let keys: PlatformKeysDir;
  let app: SamlApp;
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    keys = platformKeysDir();
    idp = new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml, algorithm });
    app = await startSamlApp(keys.dir, IDP);
  });
  afterAll(async () => {
    await app?.close();
    keys?.remove();
  });

  /** The attacker's browser: it starts its logins, and posts the Responses, with its login cookie. */
  const browser = new LoginBrowsers();
  const post = (xml: string, relayState?: string) => browser.post(app.acsUrl, xml, relayState);

  /** A fresh AuthnRequest of the SP, as a browser starts a login. */
  async function newRequestId(): Promise<string> {
    return (await browser.start(`${app.url}/saml/login?RelayState=/page`)).request.id;
  }

  /** What the attacker's own login would give: a valid Response for this SP (user "mallory"). */
  async function fields(overrides: Partial<ResponseFields> = {}): Promise<ResponseFields> {
    return {
      inResponseTo: await newRequestId(),
      destination: app.acsUrl,
      recipient: app.acsUrl,
      audience: app.entityId,
      uid: 'mallory-id',
      username: 'mallory@example.com',
      roles: ['user'],
      ...overrides,
    };
  }

  async function expectRefused(xml: string, reason?: RegExp) {
    const response = await post(xml, '/page');
    const body = await response.json();
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    if (reason) expect(body.message).toMatch(reason);
  }

  it('accepts a valid Response (the control case)', async () => {
    const response = await post(idp.signedResponse(await fields()), '/page');
    expect(response.status).toBe(302);
    const hello = await getJson(`${app.url}/hello`, { headers: { cookie: cookieOf(response) ?? '' } });
    expect(hello.body.auth).toMatchObject({ userId: 'mallory-id', username: 'mallory@example.com', roles: ['user'] });
  });

  it('refuses an unsigned Response', async () => {
    await expectRefused(idp.responseXml(await fields()), /signature/i);
  });

  it('refuses a signed Response whose Assertion is not signed', async () => {
    await expectRefused(idp.sign(idp.responseXml(await fields()), 'Response'), /signature/i);
  });

  it('refuses a signed Assertion in an unsigned Response (requireSignedResponse)', async () => {
    await expectRefused(idp.sign(idp.responseXml(await fields()), 'Assertion'), /signature/i);
  });

  it('refuses a Response signed by another key, whose certificate it carries', async () => {
    const xml = idp.responseXml(await fields());
    const rogueKeys = samlKeyPair('rogue');
    const rogue = [rogueKeys.privatePem, rogueKeys.certificatePem] as const;
    await expectRefused(idp.sign(idp.sign(xml, 'Assertion', ...rogue), 'Response', ...rogue), /signature/i);
  });

  it('refuses a tampered attribute (a role added after signing)', async () => {
    const doc = parse(idp.signedResponse(await fields()));
    setRoles(firstOf(doc, ASSERTION_NS, 'Assertion'), ['user', 'admin']);
    await expectRefused(serialize(doc), /signature/i);
  });

  describe('XML signature wrapping', () => {
    /** The attacker's valid signed Response, and an evil copy of its Assertion claiming to be someone else. */
    async function material() {
      const doc = parse(idp.signedResponse(await fields()));
      const signed = firstOf(doc, ASSERTION_NS, 'Assertion');
      const evil = signed.cloneNode(true) as Element;
      evil.setAttribute('ID', '_evil');
      const signature = firstOf(evil, DSIG_NS, 'Signature');
      signature.parentNode?.removeChild(signature);
      setRoles(evil, ['admin']);
      return { doc, response: doc.documentElement as Element, signed, evil };
    }

    it('evil Assertion before the signed one (XSW3)', async () => {
      const { doc, response, signed, evil } = await material();
      response.insertBefore(evil, signed);
      await expectRefused(serialize(doc));
    });

    it('evil Assertion after the signed one', async () => {
      const { doc, response, evil } = await material();
      response.appendChild(evil);
      await expectRefused(serialize(doc));
    });

    it('evil Assertion wrapping the signed one (XSW4)', async () => {
      const { doc, response, signed, evil } = await material();
      response.replaceChild(evil, signed);
      evil.appendChild(signed);
      await expectRefused(serialize(doc));
    });

    it('signed Assertion moved into the evil one\'s Signature/Object (XSW7-like)', async () => {
      const { doc, response, signed, evil } = await material();
      const ownSignature = firstOf(signed, DSIG_NS, 'Signature').cloneNode(true) as Element;
      const object = doc.createElementNS(DSIG_NS, 'ds:Object');
      object.appendChild(signed.cloneNode(true));
      ownSignature.appendChild(object);
      evil.insertBefore(ownSignature, evil.firstChild?.nextSibling ?? null);
      response.replaceChild(evil, signed);
      await expectRefused(serialize(doc));
    });

    it('whole signed Response hidden in the Extensions of an evil Response (XSW1-like)', async () => {
      const { doc, response, signed, evil } = await material();
      const evilResponse = response.cloneNode(false) as Element;
      evilResponse.setAttribute('ID', '_evil-response');
      evilResponse.appendChild(firstOf(response, ASSERTION_NS, 'Issuer').cloneNode(true));
      const extensions = doc.createElementNS(PROTOCOL_NS, 'samlp:Extensions');
      extensions.appendChild(response.cloneNode(true));
      evilResponse.appendChild(extensions);
      evilResponse.appendChild(firstOf(response, PROTOCOL_NS, 'Status').cloneNode(true));
      evilResponse.appendChild(evil);
      void signed;
      doc.replaceChild(evilResponse, response);
      await expectRefused(serialize(doc));
    });

    it('a comment in a signed value does not shorten it (CVE-2017-11428 class)', async () => {
      const doc = parse(idp.signedResponse(await fields({ username: 'jane@example.com.mallory.test' })));
      const value = Array.from(doc.getElementsByTagNameNS(ASSERTION_NS, 'AttributeValue')).find((v) => v.textContent === 'jane@example.com.mallory.test') as Element;
      value.textContent = '';
      value.appendChild(doc.createTextNode('jane@example.com'));
      value.appendChild(doc.createComment(''));
      value.appendChild(doc.createTextNode('.mallory.test'));
      const response = await post(serialize(doc), '/page');
      if (response.status === 302) {
        const hello = await getJson(`${app.url}/hello`, { headers: { cookie: cookieOf(response) ?? '' } });
        expect(hello.body.auth.username).toBe('jane@example.com.mallory.test');
      } else {
        expect(response.status).toBe(401);
      }
    });
  });

  it('refuses a replayed Response', async () => {
    const xml = idp.signedResponse(await fields());
    expect((await post(xml, '/page')).status).toBe(302);
    await expectRefused(xml, /InResponseTo/);
  });

  it('lets one of ten concurrent posts of one Response through', async () => {
    const xml = idp.signedResponse(await fields());
    const statuses = await Promise.all(Array.from({ length: 10 }, () => post(xml, '/page').then((r) => r.status)));
    expect(statuses.filter((status) => status === 302)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(9);
  });

  it('refuses an expired assertion', async () => {
    await expectRefused(idp.signedResponse(await fields({ issuedAt: new Date(Date.now() - 10 * 60_000) })), /expired|no valid subject confirmation/i);
  });

  it('refuses an assertion not yet valid', async () => {
    await expectRefused(idp.signedResponse(await fields({ issuedAt: new Date(Date.now() + 10 * 60_000) })), /not yet valid/i);
  });

  it('refuses another audience', async () => {
    await expectRefused(idp.signedResponse(await fields({ audience: 'http://other-sp.test/saml/metadata' })), /audience/i);
  });

  it('refuses another recipient', async () => {
    await expectRefused(idp.signedResponse(await fields({ recipient: 'http://other-sp.test/saml/acs' })), /Recipient/);
  });

  it('refuses another destination', async () => {
    await expectRefused(idp.signedResponse(await fields({ destination: 'http://other-sp.test/saml/acs' })), /Destination/);
  });

  it('refuses another issuer, even signed by the trusted key', async () => {
    await expectRefused(idp.signedResponse(await fields({ issuer: 'http://other-idp.test/metadata' })), /Issuer/);
  });

  it('refuses an unknown InResponseTo', async () => {
    await expectRefused(idp.signedResponse({ ...(await fields()), inResponseTo: '_never-asked-for' }), /InResponseTo/);
  });

  it('refuses an assertion without uid', async () => {
    await expectRefused(idp.signedResponse(await fields({ uid: undefined })), /uid/);
  });

  it.each([
    ['not XML', Buffer.from('hello').toString('base64')],
    ['an empty document', Buffer.from('<x/>').toString('base64')],
    ['a billion laughs', Buffer.from('<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>').toString('base64')],
  ])('refuses %s with 401, never 500', async (_name, samlResponse) => {
    const response = await fetch(app.acsUrl, { method: 'POST', body: new URLSearchParams({ SAMLResponse: samlResponse }), redirect: 'manual' });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['no SAMLResponse', '', { RelayState: '/' }],
    ['an empty SAMLResponse (passport-saml would start a login)', '', { SAMLResponse: '', RelayState: 'http://evil.test/' }],
    ['a SAMLResponse that is not base64', '', { SAMLResponse: '!!!' }],
    ['a SAMLRequest (logout) besides it', '', { SAMLResponse: 'PHgvPg==', SAMLRequest: 'PHgvPg==' }],
    ['a SAMLResponse in the query string', '?SAMLResponse=PHgvPg==', { SAMLResponse: 'PHgvPg==' }],
  ])('answers 400 to a post with %s, and starts nothing', async (_name, query, form) => {
    const response = await fetch(`${app.acsUrl}${query}`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('refuses a Response to a login that another browser started (login CSRF)', async () => {
    // Mallory starts a login in her browser and keeps the IdP's Response...
    const xml = idp.signedResponse(await fields());
    // ...then has the victim's browser post it: without her login cookie, or with the victim's own.
    expect((await postResponse(app.acsUrl, xml, '/page')).status).toBe(401);
    const victim = await fetch(`${app.url}/saml/login`, { redirect: 'manual' });
    const victimCookie = victim.headers.getSetCookie()[0]?.split(';')[0];
    const response = await postResponse(app.acsUrl, xml, '/page', victimCookie);
    expect(response.status).toBe(401);
    expect((await response.json()).message).toMatch(/this browser did not start that login/);
    expect(response.headers.getSetCookie()).toEqual([]);
    // Her own browser still can: the id was not used up.
    expect((await post(xml, '/page')).status).toBe(302);
  });

  it('refuses a Response with a DOCTYPE, and prints nothing of a posted document', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    try {
      const signed = idp.signedResponse(await fields());
      await expectRefused(`<!DOCTYPE samlp:Response>${signed}`, /DOCTYPE/);
      await expectRefused(signed.replace('Version="2.0"', 'Version="2.0" Evil=MALLORY-WAS-HERE'), /well-formed/);
      const printed = [...warn.mock.calls, ...error.mock.calls].flat().join(' ');
      expect(printed).not.toContain('MALLORY');
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('refuses a login whose session would not fit in a cookie, rather than loop through the IdP', async () => {
    const roles = Array.from({ length: 150 }, (_, i) => `role-with-a-long-name-${i}`);
    await expectRefused(idp.signedResponse(await fields({ roles })), /would not fit in a cookie \(150 roles\)/);
  });

  it.each(['http://evil.test/', '//evil.test/x', '/\\evil.test', 'https:evil.test', 'javascript:alert(1)', '/%0d%0aSet-Cookie:x=1', ' /page', '/.//evil.test', '/..//evil.test', '/%2e//evil.test', '/a/..//evil.test/x'])(
    'sends an absolute or odd RelayState %j to / (no open redirect)',
    async (relayState) => {
      const response = await post(idp.signedResponse(await fields()), relayState);
      expect(response.status).toBe(302);
      const location = response.headers.get('location');
      expect(location === '/' || location === relayState).toBe(true);
      expect(location).toMatch(/^\/(?![/\\])/);
    },
  );

  describe('the session cookie', () => {
    async function session(): Promise<string> {
      const response = await post(idp.signedResponse(await fields()), '/page');
      return cookieOf(response) ?? '';
    }
    const hello = (cookie: string) => getJson(`${app.url}/hello`, { headers: { cookie } });

    it('is refused when tampered with, anywhere', async () => {
      const cookie = await session();
      const [name, value] = cookie.split('=') as [string, string];
      for (const at of [2, Math.floor(value.length / 2), value.length - 3]) {
        const flipped = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
        const response = await hello(`${name}=${flipped}`);
        expect(response.status).toBe(401);
      }
      expect((await hello(`${name}=${value.slice(0, -4)}`)).status).toBe(401);
      expect((await hello(cookie)).status).toBe(200);
    });

    it('is refused once expired', async () => {
      const codec = SamlSessionCodec.fromPrivateKey(keys.saml.privateKey, app.entityId);
      const now = Math.floor(Date.now() / 1000);
      const expired = codec.seal({ userId: 'u', username: 'jane@example.com', roles: ['admin'], iss: IDP.entityId, iat: now - 7200, exp: now - 1 });
      const response = await hello(`${sessionCookieName(app.entityId)}=${expired}`);
      expect(response.status).toBe(401);
      expect(response.body.message).toMatch(/session expired/);
      const fresh = codec.seal({ userId: 'u', username: 'jane@example.com', roles: ['admin'], iss: IDP.entityId, iat: now, exp: now + 60 });
      expect((await hello(`${sessionCookieName(app.entityId)}=${fresh}`)).status).toBe(200);
    });

    it('of another SP (another entity id) is refused', async () => {
      const codec = SamlSessionCodec.fromPrivateKey(keys.saml.privateKey, 'http://other-sp.test/saml/metadata');
      const now = Math.floor(Date.now() / 1000);
      const foreign = codec.seal({ userId: 'u', username: 'jane@example.com', roles: ['admin'], iss: IDP.entityId, iat: now, exp: now + 60 });
      expect((await hello(`${sessionCookieName(app.entityId)}=${foreign}`)).status).toBe(401);
    });

    it('forged from random bytes is refused', async () => {
      expect((await hello(`${sessionCookieName(app.entityId)}=${Buffer.alloc(80, 1).toString('base64url')}`)).status).toBe(401);
      expect((await hello(`${sessionCookieName(app.entityId)}=`)).status).toBe(401);
    });

    it('keeps 40 users apart under concurrent requests', async () => {
      const users = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const response = await post(idp.signedResponse(await fields({ uid: `u${i}`, username: `user${i}@example.com`, roles: [`role${i}`] })), '/page');
          return { i, cookie: cookieOf(response) ?? '' };
        }),
      );
      const answers = await Promise.all(users.flatMap(({ i, cookie }) => [1, 2, 3].map(async () => ({ i, body: (await hello(cookie)).body }))));
      for (const { i, body } of answers) expect(body.auth).toMatchObject({ userId: `u${i}`, username: `user${i}@example.com`, roles: [`role${i}`] });
    });
  });
});
