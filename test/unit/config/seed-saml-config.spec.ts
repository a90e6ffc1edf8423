import { describe, expect, it } from 'vitest';
import { fromSeedSamlConfig } from '../../../lib/config/seed-saml-config.js';

describe("fromSeedSamlConfig (microkubes-python's SAML config)", () => {
  const seed = {
    strict: true,
    debug: false,
    sp: { entityId: 'http://localhost:5000/metadata', assertionConsumerService: { url: 'http://localhost:5000/acs', binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' }, x509cert: '', privateKey: '' },
    idp: { entityId: 'http://localhost:8080/saml/idp/metadata', singleSignOnService: { url: 'http://localhost:8080/saml/idp/sso', binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect' }, x509cert: '' },
    security: { signMetadata: true, wantMessagesSigned: true, wantAssertionsSigned: true },
    registration_url: 'http://localhost:8080/saml/idp/services',
    privateKeyName: 'service.key',
    certName: 'service.cert',
  };

  it('maps the README example onto the flat options', () => {
    expect(fromSeedSamlConfig(seed)).toEqual({
      entityId: 'http://localhost:5000/metadata',
      acsUrl: 'http://localhost:5000/acs',
      idpEntityId: 'http://localhost:8080/saml/idp/metadata',
      idpSsoUrl: 'http://localhost:8080/saml/idp/sso',
      registrationUrl: 'http://localhost:8080/saml/idp/services',
      requireSignedResponse: true,
      privateKeyName: 'service.key',
      certName: 'service.cert',
    });
  });

  it("takes python3-saml's metadata extras (contactPerson, organization), which it does not use", () => {
    const withExtras = { ...seed, contactPerson: { technical: { givenName: 'ops', emailAddress: 'ops@example.com' } }, organization: { 'en-US': { name: 'acme' } } };
    expect(fromSeedSamlConfig(withExtras)).toEqual(fromSeedSamlConfig(seed));
  });

  it('wraps a bare base64 certificate in PEM lines, and lets flat options win', () => {
    const mapped = fromSeedSamlConfig({ ...seed, idp: { ...seed.idp, x509cert: 'MIIB' + 'A'.repeat(100) }, clockSkew: 5 } as never);
    expect(mapped.idpCert).toBe(`-----BEGIN CERTIFICATE-----\nMIIB${'A'.repeat(60)}\n${'A'.repeat(40)}\n-----END CERTIFICATE-----\n`);
    expect(mapped.clockSkew).toBe(5);
  });

  it('leaves flat options as they are', () => {
    const flat = { entityId: 'e', acsUrl: 'http://a', idpEntityId: 'i', idpSsoUrl: 'http://s' };
    expect(fromSeedSamlConfig(flat)).toBe(flat);
  });
});
