import { resolveRevocationOptions, type ResolvedRevocationOptions } from './resolved-revocation-options.js';
import { createSecretKey, type KeyObject } from 'node:crypto';
import type {
  JwtAlgorithm,
  JwtSecurityOptions,
  MicrokubesModuleOptions,
  OAuth2SecurityOptions,
} from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import type { FirewallRules } from '../http/request-firewall.js';
import { LinearRegExp } from '../matching/linear-regexp.js';
import { resolveAclOptions, type ResolvedAclOptions } from './resolved-acl-options.js';
import { resolveFirewallOptions } from './resolved-firewall-options.js';
import { resolveEndpointOptions, type ResolvedEndpointOptions } from './resolved-endpoint-options.js';
import { resolveSamlOptions, type ResolvedSamlOptions } from './resolved-saml-options.js';
import { resolveGatewayOptions, type ResolvedGatewayOptions } from './resolved-gateway-options.js';
import { resolveServiceCallsOptions, type ResolvedServiceCallsOptions } from './resolved-service-calls-options.js';
import { resolveTelemetryOptions, type ResolvedTelemetryOptions } from './resolved-telemetry-options.js';
import { isDocumentUrl, isObject, optionalArray, optionalBoolean, optionalInteger, optionalString, stringList, rejectUnknown } from './option-checks.js';

export const PLATFORM_OAUTH2_ISSUER = 'Microkubes Authorization Server';

const ASYMMETRIC_ALGORITHMS: JwtAlgorithm[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
];
const HMAC_ALGORITHMS: JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];
const KNOWN_ALGORITHMS = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS]);
const MIN_HMAC_SECRET_BYTES = 32;
const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
const DEFAULT_MAX_PATH_LENGTH = 2048;

/** Option names, per level, so that a misspelt one is pointed out rather than silently ignored. */
const KNOWN_OPTIONS = {
  root: ['keysDir', 'keys', 'watchKeys', 'security', 'gateway', 'acl', 'version', 'healthCheck', 'versionEndpoint', 'serviceCalls', 'telemetry'],
  security: ['disable', 'jwt', 'oauth2', 'saml', 'publicRoutes', 'ignoreHttpMethods', 'firewall', 'maxPathLength', 'globalGuard', 'realm', 'tokenCache', 'revocation'],
  jwt: ['header', 'scheme', 'algorithms', 'hmacSecret', 'clockTolerance', 'issuer', 'audience', 'requireExpiration', 'tokenUrl'],
  oauth2: ['header', 'scheme', 'algorithms', 'hmacSecret', 'clockTolerance', 'issuer', 'audience', 'requireExpiration', 'tokenUrl', 'requiredScopes', 'jwksUri', 'authorizationUrl'],
};


/** Token verification settings of one strategy, validated and with every default applied. */
export interface ResolvedTokenOptions {
  header: string;
  scheme: string | null;
  algorithms: ReadonlySet<JwtAlgorithm>;
  hmacSecret?: KeyObject;
  clockTolerance: number;
  issuer?: string[];
  audience?: string[];
  requireExpiration: boolean;
  /** Where callers get their tokens (documentation only: the OpenAPI document names it). */
  tokenUrl?: string;
}

export interface ResolvedOAuth2Options extends ResolvedTokenOptions {
  requiredScopes: string[];
  jwksUri?: string;
  /** The authorization server's authorize endpoint (documentation only). */
  authorizationUrl?: string;
}

export interface ResolvedSecurityOptions {
  /** `security.disable`: every request passes. */
  disabled: boolean;
  jwt?: ResolvedTokenOptions;
  oauth2?: ResolvedOAuth2Options;
  saml?: ResolvedSamlOptions;
  /** Matched in time linear in the path, whatever the pattern. */
  publicRoutes: LinearRegExp[];
  ignoreHttpMethods: ReadonlySet<string>;
  /** The firewall's rules; undefined when it is off. */
  firewall?: FirewallRules;
  /** Longer paths are refused by the firewall (414), never public, and denied by ACL policies. */
  maxPathLength: number;
  globalGuard: boolean;
  realm: string;
  /** Entries of the verified-token cache; 0 when it is off. */
  tokenCacheSize: number;
  /** Undefined when revocation is off (the default). */
  revocation?: ResolvedRevocationOptions;
}

export interface ResolvedMicrokubesOptions {
  keysDir?: string;
  keys: Record<string, string>;
  watchKeys: boolean;
  security: ResolvedSecurityOptions;
  gateway?: ResolvedGatewayOptions;
  acl: ResolvedAclOptions;
  /** The version, the health check and the version endpoint. */
  endpoints: ResolvedEndpointOptions;
  /** Undefined when calls to other services get no help (the default). */
  serviceCalls?: ResolvedServiceCallsOptions;
  /** Undefined with `telemetry: false`. */
  telemetry?: ResolvedTelemetryOptions;
}

/** Validates the module's options once, at start-up, and fills in the defaults. */
export function resolveOptions(given: MicrokubesModuleOptions | undefined): ResolvedMicrokubesOptions {
  if (!isObject(given)) throw new MicrokubesOptionsError('(options)', 'must be an object');
  const options = given as MicrokubesModuleOptions;
  rejectUnknown(options, KNOWN_OPTIONS.root, '');
  const keysDir = optionalString(options.keysDir, 'keysDir');
  const keys = options.keys ?? {};
  if (!isObject(keys)) throw new MicrokubesOptionsError('keys', 'must map key names to file paths');
  for (const [name, file] of Object.entries(keys)) {
    if (typeof file !== 'string' || file === '') {
      throw new MicrokubesOptionsError(`keys.${name}`, 'must be a file path');
    }
  }
  const security = options.security ?? {};
  if (!isObject(security)) throw new MicrokubesOptionsError('security', 'must be an object');
  rejectUnknown(security, KNOWN_OPTIONS.security, 'security.');

  const jwt =
    security.jwt === false ? undefined : resolveTokenOptions(security.jwt ?? {}, 'security.jwt', undefined);
  const oauth2 = security.oauth2 === false ? undefined : resolveOAuth2Options(security.oauth2 ?? {});
  if (jwt && oauth2 && oauth2.requiredScopes.length > 0 && !oauth2.issuer) {
    // The JWT strategy hands the OAuth2 strategy only the tokens of its issuers; without one it
    // would accept access tokens itself, whatever their scopes.
    throw new MicrokubesOptionsError(
      'security.oauth2.requiredScopes',
      'needs security.oauth2.issuer while the JWT strategy is on (or turn it off with jwt: false)',
    );
  }

  const maxPathLength = optionalInteger(security.maxPathLength, 'security.maxPathLength', 1, 65_536) ?? DEFAULT_MAX_PATH_LENGTH;
  return {
    keysDir,
    keys: { ...keys },
    watchKeys: optionalBoolean(options.watchKeys, 'watchKeys') ?? true,
    security: {
      disabled: optionalBoolean(security.disable, 'security.disable') ?? false,
      jwt,
      oauth2,
      saml: resolveSamlOptions(security.saml),
      publicRoutes: (optionalArray(security.publicRoutes, 'security.publicRoutes') ?? []).map((route, i) =>
        compileRoutePattern(route, `security.publicRoutes[${i}]`),
      ),
      ignoreHttpMethods: new Set(
        (optionalArray(security.ignoreHttpMethods, 'security.ignoreHttpMethods') ?? ['OPTIONS']).map((m, i) => {
          if (typeof m !== 'string' || m === '') {
            throw new MicrokubesOptionsError(`security.ignoreHttpMethods[${i}]`, 'must be an HTTP method name');
          }
          return m.toUpperCase();
        }),
      ),
      firewall: resolveFirewallOptions(security.firewall),
      maxPathLength,
      globalGuard: optionalBoolean(security.globalGuard, 'security.globalGuard') ?? false,
      realm: optionalString(security.realm, 'security.realm') ?? 'microkubes',
      tokenCacheSize: resolveTokenCacheSize(security.tokenCache),
      revocation: resolveRevocationOptions(security.revocation),
    },
    gateway: resolveGatewayOptions(options.gateway),
    acl: resolveAclOptions(options.acl, maxPathLength),
    endpoints: resolveEndpointOptions(options),
    serviceCalls: resolveServiceCallsOptions(options),
    telemetry: resolveTelemetryOptions(options.telemetry),
  };
}

function resolveTokenCacheSize(cache: unknown): number {
  if (cache === false) return 0;
  if (cache === undefined) return DEFAULT_TOKEN_CACHE_SIZE;
  if (!isObject(cache)) throw new MicrokubesOptionsError('security.tokenCache', 'must be { size } or false');
  rejectUnknown(cache as object, ['size'], 'security.tokenCache.');
  return optionalInteger((cache as { size?: unknown }).size, 'security.tokenCache.size', 1, 10_000_000) ?? DEFAULT_TOKEN_CACHE_SIZE;
}

function resolveOAuth2Options(options: OAuth2SecurityOptions): ResolvedOAuth2Options {
  if (!isObject(options)) throw new MicrokubesOptionsError('security.oauth2', 'must be an object or false');
  const issuer = options.issuer === undefined ? PLATFORM_OAUTH2_ISSUER : options.issuer;
  const requiredScopes = optionalArray(options.requiredScopes, 'security.oauth2.requiredScopes') ?? [];
  requiredScopes.forEach((scope, i) => {
    if (typeof scope !== 'string' || scope.trim() === '') {
      throw new MicrokubesOptionsError(`security.oauth2.requiredScopes[${i}]`, 'must be a non-empty string');
    }
  });
  return {
    ...resolveTokenOptions(options, 'security.oauth2', issuer),
    requiredScopes: requiredScopes.map((s) => s.trim()),
    jwksUri: jwksUrl(options.jwksUri),
    authorizationUrl: documentUrl(options.authorizationUrl, 'security.oauth2.authorizationUrl'),
  };
}

function resolveTokenOptions(
  options: JwtSecurityOptions | OAuth2SecurityOptions,
  path: string,
  issuer: string | string[] | null | undefined,
): ResolvedTokenOptions {
  if (!isObject(options)) throw new MicrokubesOptionsError(path, 'must be an object or false');
  rejectUnknown(options, path === 'security.oauth2' ? KNOWN_OPTIONS.oauth2 : KNOWN_OPTIONS.jwt, `${path}.`);
  const hmacSecret = resolveHmacSecret(options.hmacSecret, `${path}.hmacSecret`);
  const algorithms = optionalArray(options.algorithms, `${path}.algorithms`) ?? [
    ...ASYMMETRIC_ALGORITHMS,
    ...(hmacSecret ? HMAC_ALGORITHMS : []),
  ];
  algorithms.forEach((alg, i) => {
    if (!KNOWN_ALGORITHMS.has(alg)) {
      throw new MicrokubesOptionsError(
        `${path}.algorithms[${i}]`,
        `unsupported algorithm "${String(alg)}" (use ${[...KNOWN_ALGORITHMS].join(', ')})`,
      );
    }
    if (HMAC_ALGORITHMS.includes(alg) && !hmacSecret) {
      throw new MicrokubesOptionsError(`${path}.algorithms[${i}]`, `${alg} needs ${path}.hmacSecret`);
    }
  });
  if (algorithms.length === 0) throw new MicrokubesOptionsError(`${path}.algorithms`, 'must not be empty');

  const clockTolerance = options.clockTolerance ?? 0;
  if (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new MicrokubesOptionsError(`${path}.clockTolerance`, 'must be a number of seconds, 0 or more');
  }
  const header = optionalString(options.header, `${path}.header`) ?? 'authorization';
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(header)) {
    throw new MicrokubesOptionsError(`${path}.header`, `"${header}" is not an HTTP header name`);
  }
  const scheme = options.scheme === null ? null : (optionalString(options.scheme, `${path}.scheme`) ?? 'Bearer');

  return {
    header: header.toLowerCase(),
    scheme,
    algorithms: new Set(algorithms),
    hmacSecret,
    clockTolerance,
    issuer: stringList(issuer === undefined ? (options as JwtSecurityOptions).issuer : issuer, `${path}.issuer`),
    audience: stringList(options.audience, `${path}.audience`),
    requireExpiration: optionalBoolean(options.requireExpiration, `${path}.requireExpiration`) ?? true,
    tokenUrl: documentUrl(options.tokenUrl, `${path}.tokenUrl`),
  };
}

function jwksUrl(value: unknown): string | undefined {
  const url = optionalString(value, 'security.oauth2.jwksUri');
  if (url !== undefined && !/^https?:\/\//i.test(url)) throw new MicrokubesOptionsError('security.oauth2.jwksUri', `must be an http(s) URL (got "${url}")`);
  return url;
}

function documentUrl(value: unknown, path: string): string | undefined {
  const url = optionalString(value, path);
  if (url !== undefined && !isDocumentUrl(url)) {
    throw new MicrokubesOptionsError(path, `must be an http(s) URL or a path starting with "/", without quotes, angle brackets or spaces (got ${JSON.stringify(url)})`);
  }
  return url;
}

function resolveHmacSecret(secret: unknown, path: string): KeyObject | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new MicrokubesOptionsError(path, 'must be a string or a Buffer');
  }
  const bytes = Buffer.from(secret);
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    throw new MicrokubesOptionsError(path, `must hold at least ${MIN_HMAC_SECRET_BYTES} bytes`);
  }
  return createSecretKey(bytes);
}

/**
 * A public-route pattern, matched against the whole path. It runs on every request, before
 * authentication, on a path the caller chose: it is matched in time linear in the path, whatever
 * the pattern (see LinearRegExp), and what cannot be (back-references, lookarounds) fails start-up.
 */
function compileRoutePattern(route: unknown, path: string): LinearRegExp {
  const isRegExp = route instanceof RegExp;
  if (!isRegExp && (typeof route !== 'string' || route === '')) {
    throw new MicrokubesOptionsError(path, 'must be a regular expression (string or RegExp)');
  }
  const source = isRegExp ? route.source : (route as string);
  try {
    return new LinearRegExp(source, isRegExp ? route.flags : '');
  } catch (error) {
    throw new MicrokubesOptionsError(path, `"${source}" is not a valid regular expression here: ${(error as Error).message}`);
  }
}
