import { createHash } from 'node:crypto';
import { isRedisClient } from '../redis/redis-command.js';
import type { RedisClient, SamlRequestIdStore, SamlSecurityOptions, SeedSamlConfig } from '../microkubes-options.interface.js';
import { fromSeedSamlConfig } from './seed-saml-config.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalBoolean, optionalInteger, optionalString, rejectUnknown } from './option-checks.js';
import { resolveRetry, type ResolvedRetryOptions } from './resolved-retry-options.js';

const KNOWN = [
  'entityId', 'acsUrl', 'idpEntityId', 'idpSsoUrl', 'idpCert', 'registrationUrl', 'registration', 'privateKeyName', 'certName',
  'routePrefix', 'clockSkew', 'requireSignedResponse', 'requestIdStore', 'requestIdTtl', 'session', 'redirectBrowsers',
  'bindLoginToBrowser',
];
const MIN_SESSION_SECRET_BYTES = 32;

/** The SAML service provider's options, validated, with every default applied. */
export interface ResolvedSamlOptions {
  entityId: string;
  acsUrl: string;
  idpEntityId: string;
  idpSsoUrl: string;
  /** As given; undefined means the key-store entry `certName`, with a warning. */
  idpCert?: string;
  registrationUrl?: string;
  registrationRequired: boolean;
  registrationRetry: ResolvedRetryOptions;
  privateKeyName: string;
  certName: string;
  /** `/saml`: leading slash, no trailing one. */
  routePrefix: string;
  clockSkewMs: number;
  requireSignedResponse: boolean;
  requestIdStore: 'memory' | { redis: RedisClient; prefix: string } | SamlRequestIdStore;
  requestIdTtlMs: number;
  session: { cookieName: string; maxAge: number; secrets?: Buffer[]; secure?: boolean };
  redirectBrowsers: boolean;
  bindLoginToBrowser: boolean;
  /** `<session cookie>_login`: the AuthnRequest ids this browser started. */
  loginCookieName: string;
}

export function resolveSamlOptions(given: SamlSecurityOptions | SeedSamlConfig | undefined): ResolvedSamlOptions | undefined {
  if (given === undefined) return undefined;
  if (!isObject(given)) throw new MicrokubesOptionsError('security.saml', 'must be an object');
  const saml = fromSeedSamlConfig(given);
  rejectUnknown(saml, KNOWN, 'security.saml.');
  const registration = saml.registration ?? {};
  if (!isObject(registration)) throw new MicrokubesOptionsError('security.saml.registration', 'must be an object');
  rejectUnknown(registration, ['required', 'retry'], 'security.saml.registration.');
  const registrationUrl = optionalUrl(saml.registrationUrl, 'security.saml.registrationUrl');
  const registrationRequired = optionalBoolean(registration.required, 'security.saml.registration.required') ?? false;
  if (registrationRequired && !registrationUrl) {
    throw new MicrokubesOptionsError('security.saml.registration.required', 'needs security.saml.registrationUrl');
  }
  const routePrefix = optionalString(saml.routePrefix, 'security.saml.routePrefix') ?? '/saml';
  if (!/^\/[\w\-./~]*$/.test(routePrefix) || routePrefix.includes('//')) {
    throw new MicrokubesOptionsError('security.saml.routePrefix', `must be a path such as "/saml" (got "${routePrefix}")`);
  }
  const entityId = requiredString(saml.entityId, 'security.saml.entityId');
  const session = resolveSession(saml.session, entityId);
  return {
    entityId,
    acsUrl: requiredUrl(saml.acsUrl, 'security.saml.acsUrl'),
    idpEntityId: requiredString(saml.idpEntityId, 'security.saml.idpEntityId'),
    idpSsoUrl: requiredUrl(saml.idpSsoUrl, 'security.saml.idpSsoUrl'),
    idpCert: optionalString(saml.idpCert, 'security.saml.idpCert'),
    registrationUrl,
    registrationRequired,
    registrationRetry: resolveRetry(registration.retry, 'security.saml.registration.retry'),
    privateKeyName: optionalString(saml.privateKeyName, 'security.saml.privateKeyName') ?? 'service.key',
    certName: optionalString(saml.certName, 'security.saml.certName') ?? 'service.cert',
    routePrefix: routePrefix.replace(/\/+$/, '') || '/',
    clockSkewMs: 1000 * (optionalInteger(saml.clockSkew, 'security.saml.clockSkew', 0, 3600) ?? 30),
    requireSignedResponse: optionalBoolean(saml.requireSignedResponse, 'security.saml.requireSignedResponse') ?? true,
    requestIdStore: resolveRequestIdStore(saml.requestIdStore),
    requestIdTtlMs: 1000 * (optionalInteger(saml.requestIdTtl, 'security.saml.requestIdTtl', 10, 86_400) ?? 600),
    session,
    redirectBrowsers: optionalBoolean(saml.redirectBrowsers, 'security.saml.redirectBrowsers') ?? true,
    bindLoginToBrowser: optionalBoolean(saml.bindLoginToBrowser, 'security.saml.bindLoginToBrowser') ?? true,
    loginCookieName: `${session.cookieName}_login`,
  };
}

/**
 * `microkubes_saml_<first 8 hex digits of the entity id's SHA-256>`: services behind one Kong host
 * share the browser's cookies, and one name per SP keeps them from overwriting each other.
 */
export function defaultSessionCookieName(entityId: string): string {
  return `microkubes_saml_${createHash('sha256').update(entityId).digest('hex').slice(0, 8)}`;
}

function resolveSession(session: SamlSecurityOptions['session'], entityId: string): ResolvedSamlOptions['session'] {
  if (session !== undefined && !isObject(session)) throw new MicrokubesOptionsError('security.saml.session', 'must be an object');
  const given = session ?? {};
  rejectUnknown(given, ['cookieName', 'maxAge', 'secret', 'secure'], 'security.saml.session.');
  const cookieName = optionalString(given.cookieName, 'security.saml.session.cookieName') ?? defaultSessionCookieName(entityId);
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(cookieName)) {
    throw new MicrokubesOptionsError('security.saml.session.cookieName', `"${cookieName}" is not a cookie name`);
  }
  let secrets: Buffer[] | undefined;
  if (given.secret !== undefined) {
    const list = Array.isArray(given.secret) ? given.secret : [given.secret];
    if (list.length === 0) throw new MicrokubesOptionsError('security.saml.session.secret', 'must not be empty');
    secrets = list.map((secret, i) => {
      if (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_SESSION_SECRET_BYTES) {
        throw new MicrokubesOptionsError(`security.saml.session.secret${Array.isArray(given.secret) ? `[${i}]` : ''}`, `must be a string of at least ${MIN_SESSION_SECRET_BYTES} bytes`);
      }
      return Buffer.from(secret);
    });
  }
  return {
    cookieName,
    maxAge: optionalInteger(given.maxAge, 'security.saml.session.maxAge', 60, 30 * 86_400) ?? 3600,
    secrets,
    secure: optionalBoolean(given.secure, 'security.saml.session.secure'),
  };
}

function resolveRequestIdStore(store: SamlSecurityOptions['requestIdStore']): ResolvedSamlOptions['requestIdStore'] {
  if (store === undefined || store === 'memory') return 'memory';
  const path = 'security.saml.requestIdStore';
  if (!isObject(store)) throw new MicrokubesOptionsError(path, `must be 'memory', { redis: client } or a SamlRequestIdStore`);
  if ('redis' in store) {
    rejectUnknown(store, ['redis', 'prefix'], `${path}.`);
    const { redis } = store;
    if (!isRedisClient(redis)) throw new MicrokubesOptionsError(`${path}.redis`, 'must be a connected client of the redis or ioredis package');
    return { redis, prefix: optionalString(store.prefix, `${path}.prefix`) ?? 'microkubes:saml:request:' };
  }
  const custom = store as Partial<SamlRequestIdStore>;
  if (typeof custom.save !== 'function' || typeof custom.get !== 'function' || typeof custom.take !== 'function') {
    throw new MicrokubesOptionsError(path, 'a store of your own needs save(), get() and take()');
  }
  return store as SamlRequestIdStore;
}

function requiredString(value: unknown, path: string): string {
  if (value === undefined) throw new MicrokubesOptionsError(path, 'is required');
  return optionalString(value, path) as string;
}

function requiredUrl(value: unknown, path: string): string {
  if (value === undefined) throw new MicrokubesOptionsError(path, 'is required');
  return optionalUrl(value, path) as string;
}

function optionalUrl(value: unknown, path: string): string | undefined {
  const url = optionalString(value, path);
  if (url !== undefined && !/^https?:$/.test(URL.parse(url)?.protocol ?? '')) {
    throw new MicrokubesOptionsError(path, `must be an absolute http(s) URL (got "${url}")`);
  }
  return url;
}
