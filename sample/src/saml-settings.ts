import type { SamlSecurityOptions } from 'microkubes-nestjs';

/**
 * The SAML service provider when `SAML_IDP_SSO_URL` is set, with `SAML_IDP_ENTITY_ID` (both
 * required then). `SAML_SP_URL` is this service's public base URL (default
 * `http://localhost:$PORT`), from which the SP's entity id and ACS URL are made.
 * `SAML_IDP_CERT` names the IdP's certificate (key-store entry, file or PEM; default the shared
 * `service.cert`), `SAML_REGISTRATION_URL` the IdP's registration endpoint, and
 * `SAML_REGISTRATION_REQUIRED=true` makes a failed registration stop start-up.
 */
export function samlFromEnvironment(env: NodeJS.ProcessEnv = process.env): SamlSecurityOptions | undefined {
  if (!env.SAML_IDP_SSO_URL) return undefined;
  if (!env.SAML_IDP_ENTITY_ID) throw new Error('SAML_IDP_SSO_URL is set: set SAML_IDP_ENTITY_ID too (the IdP metadata\'s entityID)');
  const base = (env.SAML_SP_URL || `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  return {
    entityId: `${base}/saml/metadata`,
    acsUrl: `${base}/saml/acs`,
    idpEntityId: env.SAML_IDP_ENTITY_ID,
    idpSsoUrl: env.SAML_IDP_SSO_URL,
    idpCert: env.SAML_IDP_CERT || undefined,
    registrationUrl: env.SAML_REGISTRATION_URL || undefined,
    registration: { required: env.SAML_REGISTRATION_REQUIRED === 'true' },
  };
}
