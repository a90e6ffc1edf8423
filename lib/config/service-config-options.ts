import { Logger } from '@nestjs/common';
import { instanceAddress } from '../gateway/instance-address.js';
import type { AclPolicy, MicrokubesGatewayOptions, MicrokubesModuleOptions, SamlSecurityOptions } from '../microkubes-options.interface.js';
import { mergeOptions } from './merged-options.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { resolveOptions, type ResolvedMicrokubesOptions } from './resolved-options.js';
import { readServiceConfig, serviceConfigFile } from './service-config-file.js';
import type { ServiceConfig } from './service-config.interface.js';
import { isDocumentUrl } from './option-checks.js';
import { ServiceConfigError } from './service-config.error.js';

const logger = new Logger('MicrokubesServiceConfig');

/** Key-store entries of the SAML SP's `keyFile` and `certFile`. */
const SAML_KEY_ENTRY = 'saml-sp.key';
const SAML_CERT_ENTRY = 'saml-sp.cert';

/**
 * The policy the platform's Go services add beside a config's own: the platform's internal
 * `system` tokens may call every route. Here the caller must hold the `system` role as well as be
 * named `system`, as jwt-issuer's system tokens are.
 */
export const SYSTEM_ACCESS_POLICY: AclPolicy = {
  id: 'system-access',
  description: 'Default System level access to resources',
  effect: 'allow',
  subjects: ['system'],
  resources: ['<.+>'],
  actions: ['api:read', 'api:write'],
  conditions: { roles: { type: 'RolesCondition', options: { values: ['system'] } } },
};

/** Which file options came from, and what the code laid over it: for errors that name the file's field. */
const SERVICE_CONFIG_SOURCE = Symbol('microkubes.serviceConfigSource');
interface SourcedOptions extends MicrokubesModuleOptions {
  [SERVICE_CONFIG_SOURCE]?: { file: string; overrides: object; adminUrlFromEnvironment: boolean };
}

/** Options laid over a service config: any part of any option, e.g. `{ gateway: { headers } }`. */
export type MicrokubesOptionOverrides<T = MicrokubesModuleOptions> = T extends readonly unknown[] | RegExp | Buffer | ((...args: never[]) => unknown)
  ? T
  : T extends object
    ? { [K in keyof T]?: MicrokubesOptionOverrides<T[K]> }
    : T;

/** `MicrokubesModule.forServiceConfig()`'s argument: the file, and options that override it. */
export interface ServiceConfigSource extends MicrokubesOptionOverrides {
  /** The config file. Default: `SERVICE_CONFIG_FILE`, else `/run/secrets/microservice_<serviceName>_config.json`. */
  configFile?: string;
  /** Names the default file when neither `configFile` nor `SERVICE_CONFIG_FILE` is given. */
  serviceName?: string;
}

/**
 * The module's options from a platform service config file, with the options given in code laid
 * over them (for `forRootAsync`'s `useFactory`; `forServiceConfig()` uses it).
 */
export function serviceConfigOptions(source: string | ServiceConfigSource = {}, environment: NodeJS.ProcessEnv = process.env): MicrokubesModuleOptions {
  const { configFile, serviceName, ...overrides } = typeof source === 'string' ? { configFile: source } : source;
  const file = serviceConfigFile(configFile, serviceName, environment);
  const config = readServiceConfig(file);
  const fromFile = optionsFromServiceConfig(config, environment);
  const options: SourcedOptions = mergeOptions(fromFile, overrides);
  const target = options.gateway?.target;
  if (target && target === fromFile.gateway?.target && options.gateway!.port !== fromFile.gateway.port) {
    // The file's instance, on the port the code gave.
    options.gateway!.target = { ...target, address: target.address.replace(/:\d+$/, `:${options.gateway!.port}`) };
  }
  // The platform's system access stays, whatever policies the code gave.
  if (config.security?.acl) options.acl = { ...options.acl, policies: withSystemAccess(options.acl?.policies ?? []) };
  const adminUrlFromEnvironment = !!environment.API_GATEWAY_URL?.trim() && !isSetIn(overrides, 'gateway.adminUrl');
  options[SERVICE_CONFIG_SOURCE] = { file, overrides, adminUrlFromEnvironment };
  return options;
}

/**
 * Maps a service config onto the module's options: `service` -> `gateway` (`virtual_host` -> host,
 * `weight` -> this instance's target), `gatewayAdminUrl` -> `gateway.adminUrl` (`API_GATEWAY_URL`
 * wins), `security.*` -> keys, public routes, strategies (each on when present), ACL policies.
 */
export function optionsFromServiceConfig(
  config: ServiceConfig,
  environment: NodeJS.ProcessEnv = process.env,
  address: () => string | undefined = instanceAddress,
): MicrokubesModuleOptions {
  const options: MicrokubesModuleOptions = {};
  if (config.version !== undefined) options.version = config.version;
  if (config.service) options.gateway = gatewayOf(config, environment, address);
  const security = config.security ?? {};
  if (security.keysDir !== undefined) options.keysDir = security.keysDir;
  options.security = {
    ...(security.disable !== undefined && { disable: security.disable }),
    jwt: security.jwt ? { ...documentUrl('tokenUrl', security.jwt.tokenUrl, 'security.jwt.tokenUrl') } : false,
    oauth2: security.oauth2
      ? {
          ...documentUrl('tokenUrl', security.oauth2.tokenUrl, 'security.oauth2.tokenUrl'),
          ...documentUrl('authorizationUrl', security.oauth2.authorizeUrl, 'security.oauth2.authorizeUrl'),
        }
      : false,
    publicRoutes: security.ignorePatterns ?? [],
    ignoreHttpMethods: security.ignoreHttpMethods ?? ['OPTIONS'],
  };
  if (security.saml) {
    const { keyFile, certFile } = security.saml;
    options.security.saml = samlOf(security.saml);
    if (keyFile || certFile) {
      options.keys = { ...(keyFile && { [SAML_KEY_ENTRY]: keyFile }), ...(certFile && { [SAML_CERT_ENTRY]: certFile }) };
    }
  }
  if (security.acl) options.acl = { disable: security.acl.disable ?? false, policies: withSystemAccess(security.acl.policies ?? []) };
  return options;
}

/**
 * A URL of the file that only documents (the OpenAPI document's): one it cannot show is left out,
 * with a warning, rather than stop a service whose file worked before.
 */
function documentUrl<K extends string>(option: K, url: string | undefined, field: string): { [key in K]?: string } {
  if (url === undefined) return {};
  if (isDocumentUrl(url)) return { [option]: url } as { [key in K]?: string };
  logger.warn(`${field}: ${JSON.stringify(url)} is not an http(s) URL or a path: left out of the OpenAPI document`);
  return {};
}

/** Appended (so that a policy's index in errors is its index in the file), unless a policy has its id. */
function withSystemAccess(policies: AclPolicy[]): AclPolicy[] {
  return policies.some((policy) => policy?.id === SYSTEM_ACCESS_POLICY.id) ? policies : [...policies, SYSTEM_ACCESS_POLICY];
}

function gatewayOf(config: ServiceConfig, environment: NodeJS.ProcessEnv, address: () => string | undefined): MicrokubesGatewayOptions {
  const service = config.service!;
  const port = service.port ?? 8080;
  const gateway: MicrokubesGatewayOptions = { name: service.name, paths: service.paths ?? [], host: service.virtual_host ?? '', port };
  const adminUrl = environment.API_GATEWAY_URL?.trim() || config.gatewayAdminUrl;
  if (adminUrl) gateway.adminUrl = adminUrl;
  if (service.hosts) gateway.hosts = service.hosts;
  if (service.weight !== undefined) {
    const ip = address();
    // Best effort: the platform's own services register no target (their code for it is disabled).
    if (ip) gateway.target = { address: `${ip}:${port}`, weight: service.weight, required: false };
    else logger.warn('service.weight: this instance has no IPv4 address other than loopback, so it is not added as a target of its upstream; set gateway.target in code');
  }
  return gateway;
}

/** As the platform's SP: `rootURL/saml/{metadata,acs}`, the IdP's `/metadata`, `/sso` and `/services`. */
function samlOf(saml: NonNullable<NonNullable<ServiceConfig['security']>['saml']>): SamlSecurityOptions {
  const root = saml.rootURL.replace(/\/+$/, '');
  const idp = saml.identityProviderUrl.replace(/\/+$/, '');
  return {
    entityId: `${root}/saml/metadata`,
    acsUrl: `${root}/saml/acs`,
    // Behind Kong the service sees the paths it is reached on, rootURL's included.
    routePrefix: `${new URL(root).pathname.replace(/\/+$/, '')}/saml`,
    idpEntityId: `${idp}/metadata`,
    idpSsoUrl: `${idp}/sso`,
    // In the background, with a warning when the IdP does not take it (the Go services stop then:
    // `registration: { required: true }` in code does the same).
    registrationUrl: `${idp}/services`,
    ...(saml.keyFile && { privateKeyName: SAML_KEY_ENTRY }),
    ...(saml.certFile && { certName: SAML_CERT_ENTRY }),
  };
}

/** Module options -> the service config field they come from, longest prefix first. */
const FILE_FIELDS: Array<[option: string, field: string]> = [
  ['gateway.adminUrl', 'gatewayAdminUrl'],
  ['gateway.target', 'service.weight'],
  ['gateway.host', 'service.virtual_host'],
  ['gateway.name', 'service.name'],
  ['gateway.paths', 'service.paths'],
  ['gateway.port', 'service.port'],
  ['gateway.hosts', 'service.hosts'],
  ['security.publicRoutes', 'security.ignorePatterns'],
  ['security.ignoreHttpMethods', 'security.ignoreHttpMethods'],
  ['security.saml', 'security.saml'],
  ['keysDir', 'security.keysDir'],
  ['version', 'version'],
  ['acl', 'security.acl'],
];

/**
 * Resolves the module's options. An error in a value that came from a service config file (not
 * from the code's overrides) is a ServiceConfigError naming the file and the file's field.
 */
export function resolveSourcedOptions(given: SourcedOptions): ResolvedMicrokubesOptions {
  const source = given?.[SERVICE_CONFIG_SOURCE];
  try {
    return resolveOptions(given);
  } catch (error) {
    if (!source || !(error instanceof MicrokubesOptionsError) || isSetIn(source.overrides, error.option)) throw error;
    if (source.adminUrlFromEnvironment && error.option === 'gateway.adminUrl') {
      throw new MicrokubesOptionsError('gateway.adminUrl', `from the API_GATEWAY_URL environment variable: ${error.problem}`);
    }
    const mapping = FILE_FIELDS.find(([option]) => error.option === option || error.option.startsWith(`${option}.`) || error.option.startsWith(`${option}[`));
    if (!mapping) throw error;
    const [option, field] = mapping;
    // Options mapped one to one keep their tail (`acl.policies[1].effect`); derived ones name the block.
    const tail = field === 'security.saml' || field === 'service.weight' ? '' : error.option.slice(option.length);
    throw new ServiceConfigError(source.file, `${field}${tail}`, error.problem, { cause: error });
  }
}

/** Whether the code's overrides hold the option (or a block containing it). */
function isSetIn(overrides: object, option: string): boolean {
  let node: unknown = overrides;
  // `acl.policies[0] (todo-read).effect`: an index or a name ends a segment.
  for (const key of option.split('.').map((segment) => segment.replace(/[[ ].*$/, ''))) {
    if (typeof node !== 'object' || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
    if (Array.isArray(node)) return true;
  }
  return true;
}
