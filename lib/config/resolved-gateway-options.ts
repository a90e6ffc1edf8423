import type { KongPluginOptions, MicrokubesGatewayOptions } from '../microkubes-options.interface.js';
import { resolveRetry, type ResolvedRetryOptions } from './resolved-retry-options.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalArray, optionalBoolean, optionalInteger, optionalString, stringList, rejectUnknown } from './option-checks.js';

export type KongApiMode = 'auto' | 'legacy' | 'services';

export interface ResolvedGatewayOptions {
  /** Normalised: slashes folded, no trailing slash, path prefix kept; without credentials, so it can be shown. */
  adminUrl: string;
  /** Credentials that were part of the admin URL (`http://user:password@kong:8001`), sent as basic auth. */
  adminAuth?: { username: string; password: string };
  apiMode: KongApiMode;
  name: string;
  paths: string[];
  host: string;
  port: number;
  protocol: 'http' | 'https';
  hosts?: string[];
  methods?: string[];
  stripPath: boolean;
  preserveHost: boolean;
  retries?: number;
  connectTimeout?: number;
  readTimeout?: number;
  writeTimeout?: number;
  /** The module's own tags first (`microkubes`, `microkubes-service:<name>`), then the user's. */
  tags: string[];
  headers: Record<string, string>;
  plugins: Array<Required<KongPluginOptions>>;
  target?: { upstream: string; address: string; weight: number; required: boolean };
  retry: ResolvedRetryOptions;
}

export const MICROKUBES_TAG = 'microkubes';
export const serviceTag = (name: string) => `microkubes-service:${name}`;

const KNOWN = [
  'adminUrl', 'apiMode', 'name', 'paths', 'host', 'port', 'protocol', 'hosts', 'methods', 'stripPath', 'preserveHost',
  'retries', 'connectTimeout', 'readTimeout', 'writeTimeout', 'tags', 'headers', 'plugins', 'target', 'retry',
];
const MAX_TIMEOUT = 2_147_483_646;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Validates `gateway` as microkubes-python does (name, a path, host; port 1-65535), and more. */
export function resolveGatewayOptions(
  gateway: MicrokubesGatewayOptions | undefined,
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedGatewayOptions | undefined {
  if (gateway === undefined) return undefined;
  if (!isObject(gateway)) throw new MicrokubesOptionsError('gateway', 'must be an object');
  rejectUnknown(gateway, KNOWN, 'gateway.');

  const name = optionalString(gateway.name, 'gateway.name');
  if (name === undefined) throw new MicrokubesOptionsError('gateway.name', 'the service name must be given');
  if (!/^[A-Za-z0-9._~-]+$/.test(name)) {
    throw new MicrokubesOptionsError('gateway.name', `"${name}" may hold only letters, digits and . _ ~ -`);
  }
  const paths = optionalArray(gateway.paths, 'gateway.paths') ?? [];
  if (paths.length === 0) throw new MicrokubesOptionsError('gateway.paths', 'at least one path must be given');
  paths.forEach((path, i) => {
    if (typeof path !== 'string' || !/^[/~]/.test(path)) {
      throw new MicrokubesOptionsError(`gateway.paths[${i}]`, 'must start with "/" (or "~" for a regex path)');
    }
  });
  const host = optionalString(gateway.host, 'gateway.host');
  if (host === undefined) throw new MicrokubesOptionsError('gateway.host', 'the host Kong calls this service on must be given');

  const apiMode = gateway.apiMode ?? 'auto';
  if (!['auto', 'legacy', 'services'].includes(apiMode)) {
    throw new MicrokubesOptionsError('gateway.apiMode', 'must be "auto", "legacy" or "services"');
  }
  const protocol = gateway.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'https') throw new MicrokubesOptionsError('gateway.protocol', 'must be "http" or "https"');

  const methods = stringList(gateway.methods, 'gateway.methods')?.map((method, i) => {
    if (!HTTP_METHODS.has(method.toUpperCase())) throw new MicrokubesOptionsError(`gateway.methods[${i}]`, `"${method}" is not an HTTP method`);
    return method.toUpperCase();
  });
  const tags = stringList(gateway.tags, 'gateway.tags') ?? [];
  tags.forEach((tag, i) => {
    if (/[,/]/.test(tag) || /[^\x21-\x7e]/.test(tag)) {
      throw new MicrokubesOptionsError(`gateway.tags[${i}]`, 'must be printable ASCII without spaces, "," or "/"');
    }
  });
  const headers = gateway.headers ?? {};
  if (!isObject(headers) || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw new MicrokubesOptionsError('gateway.headers', 'must map header names to string values');
  }

  const { url: adminUrl, auth: adminAuth } = splitAdminUrl(gateway.adminUrl ?? environment.API_GATEWAY_URL);
  return {
    adminUrl,
    adminAuth,
    apiMode,
    name,
    paths,
    host,
    port: optionalInteger(gateway.port, 'gateway.port', 1, 65_535) ?? 8080,
    protocol,
    hosts: stringList(gateway.hosts, 'gateway.hosts'),
    methods,
    stripPath: optionalBoolean(gateway.stripPath, 'gateway.stripPath') ?? false,
    preserveHost: optionalBoolean(gateway.preserveHost, 'gateway.preserveHost') ?? false,
    retries: optionalInteger(gateway.retries, 'gateway.retries', 0, 32_767),
    connectTimeout: optionalInteger(gateway.connectTimeout, 'gateway.connectTimeout', 1, MAX_TIMEOUT),
    readTimeout: optionalInteger(gateway.readTimeout, 'gateway.readTimeout', 1, MAX_TIMEOUT),
    writeTimeout: optionalInteger(gateway.writeTimeout, 'gateway.writeTimeout', 1, MAX_TIMEOUT),
    tags: [...new Set([MICROKUBES_TAG, serviceTag(name), ...tags])],
    headers: { ...headers },
    plugins: resolvePlugins(gateway.plugins),
    target: resolveTarget(gateway.target, host),
    retry: resolveRetry(gateway.retry, 'gateway.retry'),
  };
}

/** As microkubes-python: slashes folded and a path prefix kept (`http://kong-admin:8001/admin-api/`). */
export function normaliseAdminUrl(raw: string | undefined): string {
  return splitAdminUrl(raw).url;
}

/** The normalised admin URL, and the credentials it held, kept apart so that they are never shown. */
function splitAdminUrl(raw: string | undefined): { url: string; auth?: { username: string; password: string } } {
  if (raw === undefined || raw.trim() === '') {
    throw new MicrokubesOptionsError('gateway.adminUrl', 'is not set, and neither is the API_GATEWAY_URL environment variable');
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new MicrokubesOptionsError('gateway.adminUrl', 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MicrokubesOptionsError('gateway.adminUrl', `must be an http(s) URL (got ${url.protocol})`);
  }
  const auth = url.username || url.password
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  url.username = '';
  url.password = '';
  url.pathname = url.pathname.replace(/\/{2,}/g, '/');
  url.search = '';
  url.hash = '';
  return { url: url.toString().replace(/\/+$/, ''), auth };
}

function resolvePlugins(plugins: KongPluginOptions[] | undefined): Array<Required<KongPluginOptions>> {
  const list = optionalArray(plugins, 'gateway.plugins') ?? [];
  const seen = new Set<string>();
  return list.map((plugin, i) => {
    const path = `gateway.plugins[${i}]`;
    if (!isObject(plugin)) throw new MicrokubesOptionsError(path, 'must be { name, config? }');
    rejectUnknown(plugin, ['name', 'config', 'enabled'], `${path}.`);
    const name = optionalString(plugin.name, `${path}.name`);
    if (name === undefined) throw new MicrokubesOptionsError(`${path}.name`, 'must be given');
    if (seen.has(name)) throw new MicrokubesOptionsError(`${path}.name`, `plugin "${name}" is listed twice`);
    seen.add(name);
    if (plugin.config !== undefined && !isObject(plugin.config)) {
      throw new MicrokubesOptionsError(`${path}.config`, 'must be an object');
    }
    return { name, config: plugin.config ?? {}, enabled: optionalBoolean(plugin.enabled, `${path}.enabled`) ?? true };
  });
}

function resolveTarget(target: MicrokubesGatewayOptions['target'], host: string): ResolvedGatewayOptions['target'] {
  if (target === undefined) return undefined;
  if (!isObject(target)) throw new MicrokubesOptionsError('gateway.target', 'must be { address, upstream?, weight? }');
  rejectUnknown(target, ['upstream', 'address', 'weight', 'required'], 'gateway.target.');
  const address = optionalString(target.address, 'gateway.target.address');
  const port = Number(/:(\d+)$/.exec(address ?? '')?.[1]);
  if (address === undefined || !(port >= 1 && port <= 65_535)) {
    throw new MicrokubesOptionsError('gateway.target.address', 'must be "host:port" with a port from 1 to 65535');
  }
  return {
    upstream: optionalString(target.upstream, 'gateway.target.upstream') ?? host,
    address,
    weight: optionalInteger(target.weight, 'gateway.target.weight', 0, 65_535) ?? 100,
    required: optionalBoolean(target.required, 'gateway.target.required') ?? true,
  };
}
