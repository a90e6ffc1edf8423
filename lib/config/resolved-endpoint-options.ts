import type { MicrokubesModuleOptions } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalBoolean, optionalInteger, optionalString, rejectUnknown } from './option-checks.js';

export interface ResolvedHealthCheckOptions {
  path: string;
  gatewayTimeoutMs: number;
  gatewayCacheTtlMs: number;
  public: boolean;
}

export interface ResolvedEndpointOptions {
  version?: string;
  /** Undefined when the health check is off. */
  healthCheck?: ResolvedHealthCheckOptions;
  /** Undefined when the version endpoint is off. */
  versionEndpoint?: { path: string };
}

/** `version`, `healthCheck` and `versionEndpoint`: the seed's `add_healthcheck` and `add_version_endpoint`. */
export function resolveEndpointOptions(options: MicrokubesModuleOptions): ResolvedEndpointOptions {
  const version = optionalString(options.version, 'version');
  const healthCheck = resolveHealthCheck(options.healthCheck);
  const versionEndpoint = resolveVersionEndpoint(options.versionEndpoint, version);
  if (healthCheck && versionEndpoint && healthCheck.path === versionEndpoint.path) {
    throw new MicrokubesOptionsError('versionEndpoint.path', `"${versionEndpoint.path}" is the health check's path too`);
  }
  return { version, healthCheck, versionEndpoint };
}

function resolveHealthCheck(given: MicrokubesModuleOptions['healthCheck']): ResolvedHealthCheckOptions | undefined {
  if (given === false) return undefined;
  if (given !== undefined && given !== true && !isObject(given)) {
    throw new MicrokubesOptionsError('healthCheck', 'must be { path?, gatewayTimeout?, gatewayCacheTtl?, public? } or a boolean');
  }
  const health = isObject(given) ? (given as Exclude<typeof given, boolean | undefined>) : {};
  rejectUnknown(health, ['path', 'gatewayTimeout', 'gatewayCacheTtl', 'public'], 'healthCheck.');
  return {
    path: routePath(health.path, 'healthCheck.path') ?? '/healthcheck',
    gatewayTimeoutMs: optionalInteger(health.gatewayTimeout, 'healthCheck.gatewayTimeout', 1, 60_000) ?? 3000,
    gatewayCacheTtlMs: optionalInteger(health.gatewayCacheTtl, 'healthCheck.gatewayCacheTtl', 0, 3_600_000) ?? 1000,
    public: optionalBoolean(health.public, 'healthCheck.public') ?? true,
  };
}

function resolveVersionEndpoint(given: MicrokubesModuleOptions['versionEndpoint'], version: string | undefined): { path: string } | undefined {
  if (given === false || (given === undefined && version === undefined)) return undefined;
  if (given !== undefined && given !== true && !isObject(given)) {
    throw new MicrokubesOptionsError('versionEndpoint', 'must be { path? } or a boolean');
  }
  // As the seed's add_version_endpoint: asked for, it needs a version to serve.
  if (version === undefined) throw new MicrokubesOptionsError('version', 'must be set: the version endpoint is on (versionEndpoint)');
  const endpoint = isObject(given) ? (given as { path?: unknown }) : {};
  rejectUnknown(endpoint, ['path'], 'versionEndpoint.');
  return { path: routePath(endpoint.path, 'versionEndpoint.path') ?? '/version' };
}

function routePath(value: unknown, option: string): string | undefined {
  const path = optionalString(value, option);
  if (path !== undefined && (!/^\/[\w\-./~]*$/.test(path) || path.includes('//'))) {
    throw new MicrokubesOptionsError(option, `must be a path such as "/healthcheck" (got "${path}")`);
  }
  return path === undefined || path === '/' ? path : path.replace(/\/+$/, '');
}
