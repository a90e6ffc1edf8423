import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { defaultSessionCookieName } from '../config/resolved-saml-options.js';
import { SAML_ATTRIBUTES } from '../saml/saml-profile.js';
import type { SamlKeyPair } from './platform-keys.js';

const SIGNATURE = {
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
};

/** What an AuthnRequest of the SP asked for, read from the login redirect. */
export interface AuthnRequestSeen {
  id: string;
  issuer: string;
  acsUrl: string;
  destination: string;
  relayState: string | null;
  signed: boolean;
}

export function readLoginRedirect(location: string): AuthnRequestSeen {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1] ?? '';
  return {
    id: attribute('ID'),
    issuer: /<(?:saml:)?Issuer[^>]*>([^<]*)</.exec(xml)?.[1] ?? '',
    acsUrl: attribute('AssertionConsumerServiceURL'),
    destination: attribute('Destination'),
    relayState: url.searchParams.get('RelayState'),
    signed: url.searchParams.has('Signature') && url.searchParams.has('SigAlg'),
  };
}

export interface ResponseFields {
  inResponseTo: string;
  /** Default the IdP's entity id. */
  issuer?: string;
  destination: string;
  recipient: string;
  audience: string;
  uid?: string;
  username?: string;
  roles?: string[];
  /** Seconds the assertion is valid from `issuedAt`. Default 90, as the platform's IdP. */
  validFor?: number;
  /** Default now. */
  issuedAt?: Date;
  /** The AuthnStatement's SessionNotOnOrAfter; default none. */
  sessionNotOnOrAfter?: Date;
}

export interface TestIdentityProviderOptions {
  /** The IdP's entity id, e.g. `http://idp.test/saml/idp/metadata`. */
  entityId: string;
  /** What it signs with: on the platform, the shared `service.key`/`service.cert` (a kit's `keys.saml`). */
  keys: Pick<SamlKeyPair, 'privatePem' | 'certificatePem'>;
  /** RSA-SHA1, as the platform's IdP signs, or RSA-SHA256. Default `sha1`. */
  algorithm?: 'sha1' | 'sha256';
}

/**
 * The platform's IdP, in process: builds SAML Responses as it does (transient empty NameID, OID
 * attributes, bearer confirmation, 90 s of validity) and signs them with xml-crypto, the Assertion
 * and then the Response, with RSA-SHA1 by default, as the platform does. No network: post what it
 * signs to the SP's ACS (`postResponse`, or `LoginBrowsers` to keep each login's cookie).
 */
export class TestIdentityProvider {
  readonly entityId: string;
  readonly algorithm: 'sha1' | 'sha256';
  private readonly privateKey: string;
  private readonly certificate: string;

  constructor(options: TestIdentityProviderOptions) {
    this.entityId = options.entityId;
    this.algorithm = options.algorithm ?? 'sha1';
    this.privateKey = options.keys.privatePem;
    this.certificate = options.keys.certificatePem;
  }

  /** The Response, unsigned. */
  responseXml(fields: ResponseFields): string {
    const issuedAt = fields.issuedAt ?? new Date();
    const notOnOrAfter = new Date(issuedAt.getTime() + (fields.validFor ?? 90) * 1000).toISOString();
    const instant = issuedAt.toISOString();
    const attribute = (name: string, friendly: string, values: string[]) =>
      `<saml:Attribute FriendlyName="${friendly}" Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${values
        .map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escape(v)}</saml:AttributeValue>`)
        .join('')}</saml:Attribute>`;
    const issuer = fields.issuer ?? this.entityId;
    return (
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${instant}" Destination="${escape(fields.destination)}" InResponseTo="${escape(fields.inResponseTo)}">` +
      `<saml:Issuer>${escape(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion ID="${newId()}" Version="2.0" IssueInstant="${instant}">` +
      `<saml:Issuer>${escape(issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" NameQualifier="${escape(issuer)}" SPNameQualifier="${escape(fields.audience)}"/>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${escape(fields.inResponseTo)}" NotOnOrAfter="${notOnOrAfter}" Recipient="${escape(fields.recipient)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${instant}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escape(fields.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="${newId()}"${fields.sessionNotOnOrAfter ? ` SessionNotOnOrAfter="${fields.sessionNotOnOrAfter.toISOString()}"` : ''}><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>` +
      (fields.uid === undefined ? '' : attribute(SAML_ATTRIBUTES.userId[0], SAML_ATTRIBUTES.userId[1], [fields.uid])) +
      (fields.username === undefined ? '' : attribute(SAML_ATTRIBUTES.username[0], SAML_ATTRIBUTES.username[1], [fields.username])) +
      attribute(SAML_ATTRIBUTES.roles[0], SAML_ATTRIBUTES.roles[1], fields.roles ?? []) +
      `</saml:AttributeStatement></saml:Assertion></samlp:Response>`
    );
  }

  /** Signs the element `localName` (Assertion or Response), the signature placed after its Issuer. */
  sign(xml: string, localName: 'Assertion' | 'Response', key = this.privateKey, certificate = this.certificate): string {
    const { signature, digest } = SIGNATURE[this.algorithm];
    const signer = new SignedXml({
      privateKey: key,
      publicCert: certificate,
      signatureAlgorithm: signature,
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    const element = `//*[local-name(.)='${localName}']`;
    signer.addReference({
      xpath: element,
      digestAlgorithm: digest,
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    });
    signer.computeSignature(xml, { prefix: 'ds', location: { reference: `${element}/*[local-name(.)='Issuer']`, action: 'after' } });
    return signer.getSignedXml();
  }

  /** The Response as the platform's IdP sends it: Assertion signed, then Response signed. */
  signedResponse(fields: ResponseFields): string {
    return this.sign(this.sign(this.responseXml(fields), 'Assertion'), 'Response');
  }
}

/** Posts a Response to the ACS, as the browser does with the IdP's auto-submitting form, with its cookies. */
export function postResponse(acsUrl: string, xml: string, relayState?: string, cookie?: string): Promise<Response> {
  const form = new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') });
  if (relayState !== undefined) form.set('RelayState', relayState);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.cookie = cookie;
  return fetch(acsUrl, { method: 'POST', body: form, redirect: 'manual', headers });
}

/** The SP's default session cookie name: one per entity id. */
export function sessionCookieName(entityId: string): string {
  return defaultSessionCookieName(entityId);
}

/** A cookie (`name=value`) of a response, for the next request's Cookie header: by default the SAML session. */
export function cookieOf(response: Response, name?: string): string | undefined {
  const matches = (cookie: string) => (name ? cookie.startsWith(`${name}=`) : /^microkubes_saml_[0-9a-f]{8}=/.test(cookie));
  return response.headers.getSetCookie().find(matches)?.split(';')[0];
}

/**
 * The browsers of a test: a login started here keeps its login cookie, and a Response is posted
 * with the cookie of the browser that started the login it answers (its InResponseTo).
 */
export class LoginBrowsers {
  private readonly loginCookies = new Map<string, string>();

  /** Opens `url` (a secured page, or /saml/login) and follows nothing: the AuthnRequest the SP sent. */
  async start(url: string, init: RequestInit = {}): Promise<{ request: AuthnRequestSeen; response: Response }> {
    const response = await fetch(url, { redirect: 'manual', ...init });
    const request = readLoginRedirect(response.headers.get('location') ?? '');
    const cookie = response.headers.getSetCookie().find((header) => /^[^=]+_login=/.test(header))?.split(';')[0];
    if (cookie) this.loginCookies.set(request.id, cookie);
    return { request, response };
  }

  /** Posts as the browser that started the login. */
  post(acsUrl: string, xml: string, relayState?: string): Promise<Response> {
    const id = /InResponseTo="([^"]+)"/.exec(xml)?.[1];
    return postResponse(acsUrl, xml, relayState, id ? this.loginCookies.get(id) : undefined);
  }
}

function newId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
