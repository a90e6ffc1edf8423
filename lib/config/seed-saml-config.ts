import type { SamlSecurityOptions, SeedSamlConfig } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject } from './option-checks.js';

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/**
 * microkubes-python's SAML config (python3-saml's `sp`/`idp`/`security` settings plus
 * `registration_url`, `privateKeyName` and `certName`), as its README shows it, onto this module's
 * flat options; flat options given beside it win. Anything else is returned as it is.
 */
export function fromSeedSamlConfig(given: SamlSecurityOptions | SeedSamlConfig): SamlSecurityOptions {
  if (!isObject(given) || !('sp' in given || 'idp' in given)) return given as SamlSecurityOptions;
  const { sp, idp, security, strict: _strict, debug: _debug, contactPerson: _contact, organization: _organization, registration_url: registrationUrl, ...flat } =
    given as SeedSamlConfig & Partial<SamlSecurityOptions>;
  const acs = sp?.assertionConsumerService;
  const sso = idp?.singleSignOnService;
  if (acs?.binding !== undefined && acs.binding !== HTTP_POST) {
    throw new MicrokubesOptionsError('security.saml.sp.assertionConsumerService.binding', `only ${HTTP_POST} is served`);
  }
  if (sso?.binding !== undefined && sso.binding !== HTTP_REDIRECT) {
    throw new MicrokubesOptionsError('security.saml.idp.singleSignOnService.binding', `only ${HTTP_REDIRECT} is sent`);
  }
  if (security?.wantAssertionsSigned === false) {
    throw new MicrokubesOptionsError('security.saml.security.wantAssertionsSigned', 'signed assertions are always required');
  }
  const mapped: Partial<SamlSecurityOptions> = {
    entityId: sp?.entityId,
    acsUrl: acs?.url,
    idpEntityId: idp?.entityId,
    idpSsoUrl: sso?.url,
    // python3-saml takes the certificate's base64 body; "" (the seed's example) means unset.
    idpCert: idp?.x509cert ? asPem(idp.x509cert) : undefined,
    registrationUrl,
    requireSignedResponse: security?.wantMessagesSigned,
  };
  const defined = Object.fromEntries(Object.entries(mapped).filter(([, value]) => value !== undefined));
  return { ...defined, ...flat } as SamlSecurityOptions;
}

function asPem(certificate: string): string {
  if (certificate.includes('-----BEGIN')) return certificate;
  const body = certificate.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}
