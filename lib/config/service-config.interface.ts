import type { AclPolicy } from '../microkubes-options.interface.js';

/**
 * A platform service's config file (`SERVICE_CONFIG_FILE`), as the platform's Go and Python
 * services read it. Every field is optional; `database` and any other field are left to the app.
 */
export interface ServiceConfig {
  /** Registration with Kong. */
  service?: {
    name: string;
    port?: number;
    paths?: string[];
    /** The host Kong calls the service on; the name of its Kong upstream. */
    virtual_host?: string;
    /** Request hosts the route matches. */
    hosts?: string[];
    /** This instance's weight as a target of the upstream. */
    weight?: number;
    /** Kong 0.x upstream slots: read, not used. */
    slots?: number;
  };
  /** Kong's proxy URL: read, not used. */
  gatewayUrl?: string;
  /** Kong's admin URL; the `API_GATEWAY_URL` environment variable wins over it. */
  gatewayAdminUrl?: string;
  /** Served by `GET /version`. */
  version?: string;
  security?: {
    /** The platform's switch: no authentication at all. */
    disable?: boolean;
    keysDir?: string;
    /** Regular expressions, each matched against the whole path of the route that runs: these skip security. */
    ignorePatterns?: string[];
    /** Default `["OPTIONS"]`. */
    ignoreHttpMethods?: string[];
    /** Present: the JWT strategy is on. Its fields describe the issuer and are not used. */
    jwt?: { name?: string; description?: string; tokenUrl?: string };
    /** Present: the OAuth2 strategy is on. Its fields describe the server and are not used. */
    oauth2?: { description?: string; tokenUrl?: string; authorizeUrl?: string };
    /** Present: the SAML service provider is on. */
    saml?: {
      /** The SP's certificate. Default: `service.cert` of `keysDir`. */
      certFile?: string;
      /** The SP's private key. Default: `service.key` of `keysDir`. */
      keyFile?: string;
      /** The IdP's base URL, e.g. `http://kong:8000/saml/idp` (`/metadata`, `/sso`, `/services` below it). */
      identityProviderUrl: string;
      /** The service's public URL, e.g. `http://localhost:8000/todo` (`/saml/metadata`, `/saml/acs` below it). */
      rootURL: string;
      userServiceUrl?: string;
      registrationServiceUrl?: string;
    };
    /** Present and not disabled: the policies are enforced on every secured route. */
    acl?: { disable?: boolean; policies?: AclPolicy[] };
  };
  [field: string]: unknown;
}
