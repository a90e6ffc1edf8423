import type { Profile } from '@node-saml/node-saml';
import type { SamlSessionPayload } from './saml-session.js';
import { parseQuietly } from './saml-xml.js';

/** The platform IdP's attributes (PLATFORM.md section 4), by OID; friendly names are accepted too. */
export const SAML_ATTRIBUTES = {
  userId: ['urn:oid:0.9.2342.19200300.100.1.1', 'uid'],
  username: ['urn:oid:1.3.6.1.4.1.5923.1.1.1.6', 'eduPersonPrincipalName'],
  roles: ['urn:oid:1.3.6.1.4.1.5923.1.1.1.1', 'eduPersonAffiliation'],
} as const;

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

const assertions = new WeakMap<Profile, Element | undefined>();

/** The assertion as verified, what node-saml took the profile from: parsed once per login. */
function verifiedAssertion(profile: Profile): Element | undefined {
  if (!assertions.has(profile)) assertions.set(profile, parseQuietly(profile.getAssertionXml?.())?.documentElement ?? undefined);
  return assertions.get(profile);
}

/**
 * The checks node-saml leaves to its caller, on a Response whose signatures it has verified:
 * the Response's Destination and the bearer confirmation's Recipient must both be our ACS URL, so
 * that a Response meant for another SP of the same IdP is refused. Returns why, or undefined.
 */
export function checkAddressedTo(profile: Profile, acsUrl: string): string | undefined {
  const response = parseQuietly(profile.getSamlResponseXml?.())?.documentElement;
  if (!response || response.namespaceURI !== PROTOCOL || response.localName !== 'Response') return 'no SAML Response';
  if (response.getAttribute('Destination') !== acsUrl) return 'Response Destination is not this ACS';
  const assertion = verifiedAssertion(profile);
  if (!assertion) return 'no signed assertion';
  const confirmations = Array.from(assertion.getElementsByTagNameNS(ASSERTION, 'SubjectConfirmation'));
  const addressed = confirmations.some(
    (confirmation) =>
      confirmation.getAttribute('Method') === BEARER &&
      Array.from(confirmation.getElementsByTagNameNS(ASSERTION, 'SubjectConfirmationData')).some(
        (data) => data.getAttribute('Recipient') === acsUrl,
      ),
  );
  return addressed ? undefined : 'assertion Recipient is not this ACS';
}

/**
 * The session a verified profile opens, or why it cannot: uid and eduPersonPrincipalName are
 * required. It lasts `maxAgeSeconds`, or less when the IdP's AuthnStatement ends the session
 * sooner (SessionNotOnOrAfter).
 */
export function sessionFromProfile(profile: Profile, issuer: string, maxAgeSeconds: number, nowSeconds: number): SamlSessionPayload | string {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const userId = single(attributes, SAML_ATTRIBUTES.userId);
  const username = single(attributes, SAML_ATTRIBUTES.username);
  const roles = values(attributes, SAML_ATTRIBUTES.roles);
  if (userId === undefined) return 'assertion carries no uid attribute';
  if (username === undefined) return 'assertion carries no eduPersonPrincipalName attribute';
  if (roles === undefined) return 'eduPersonAffiliation must hold text values';
  const idpEnds = sessionNotOnOrAfter(profile);
  const exp = Math.min(nowSeconds + maxAgeSeconds, idpEnds ?? Infinity);
  if (exp <= nowSeconds) return 'the IdP session has already ended (SessionNotOnOrAfter)';
  return { userId, username, roles, iss: issuer, iat: nowSeconds, exp };
}

/** SessionNotOnOrAfter of the verified assertion's AuthnStatement, in epoch seconds. */
function sessionNotOnOrAfter(profile: Profile): number | undefined {
  const statement = verifiedAssertion(profile)?.getElementsByTagNameNS(ASSERTION, 'AuthnStatement')[0];
  const value = statement?.getAttribute('SessionNotOnOrAfter');
  const time = value ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? Math.floor(time / 1000) : undefined;
}

function single(attributes: Record<string, unknown>, names: readonly string[]): string | undefined {
  const found = values(attributes, names);
  return found?.length === 1 ? found[0] : undefined;
}

/** Text values of the first attribute present; undefined when any value is not text. */
function values(attributes: Record<string, unknown>, names: readonly string[]): string[] | undefined {
  const name = names.find((candidate) => Object.hasOwn(attributes, candidate));
  if (name === undefined) return [];
  const raw = attributes[name];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((value) => typeof value === 'string')) return undefined;
  return [...new Set((list as string[]).map((value) => value.trim()).filter((value) => value !== ''))];
}
