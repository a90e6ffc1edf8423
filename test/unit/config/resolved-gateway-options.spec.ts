import { describe, expect, it } from 'vitest';
import { MicrokubesOptionsError, type MicrokubesGatewayOptions } from '../../../lib/index.js';
import { normaliseAdminUrl, resolveGatewayOptions } from '../../../lib/config/resolved-gateway-options.js';

const base: MicrokubesGatewayOptions = { adminUrl: 'http://kong:8001', name: 'hello-service', paths: ['/hello'], host: 'hello-service.service.consul' };

describe('resolveGatewayOptions', () => {
  it('is undefined without a gateway, so that nothing is registered', () => {
    expect(resolveGatewayOptions(undefined)).toBeUndefined();
  });

  it('fills in the defaults', () => {
    expect(resolveGatewayOptions(base, {})).toEqual({
      adminUrl: 'http://kong:8001', apiMode: 'auto', name: 'hello-service', paths: ['/hello'], host: 'hello-service.service.consul',
      port: 8080, protocol: 'http', hosts: undefined, methods: undefined, stripPath: false, preserveHost: false,
      retries: undefined, connectTimeout: undefined, readTimeout: undefined, writeTimeout: undefined,
      tags: ['microkubes', 'microkubes-service:hello-service'], headers: {}, plugins: [], target: undefined,
      retry: { attempts: 15, deadline: 60_000, initialDelay: 250, maxDelay: 5_000, requestTimeout: 5_000 },
    });
  });

  it('takes the admin URL from API_GATEWAY_URL when none is given', () => {
    expect(resolveGatewayOptions({ ...base, adminUrl: undefined }, { API_GATEWAY_URL: 'http://kong-admin:8001/' })!.adminUrl).toBe('http://kong-admin:8001');
  });

  it('puts the target in the upstream named after the host, weight 100, by default', () => {
    expect(resolveGatewayOptions({ ...base, target: { address: '10.0.0.5:3000' } }, {})!.target).toEqual({
      upstream: 'hello-service.service.consul', address: '10.0.0.5:3000', weight: 100, required: true,
    });
  });

  it.each<[string, Partial<MicrokubesGatewayOptions>, string, string]>([
    ['no name', { name: '' }, 'gateway.name', 'must be a non-empty string'],
    ['a name Kong refuses', { name: 'hello service' }, 'gateway.name', 'may hold only letters'],
    ['no path', { paths: [] }, 'gateway.paths', 'at least one path must be given'],
    ['a relative path', { paths: ['hello'] }, 'gateway.paths[0]', 'must start with "/"'],
    ['no host', { host: undefined }, 'gateway.host', 'must be given'],
    ['port 0', { port: 0 }, 'gateway.port', 'from 1 to 65535'],
    ['port 65536', { port: 65_536 }, 'gateway.port', 'from 1 to 65535'],
    ['a fractional port', { port: 80.5 }, 'gateway.port', 'whole number'],
    ['no admin URL at all', { adminUrl: undefined }, 'gateway.adminUrl', 'API_GATEWAY_URL'],
    ['an admin URL that is not one', { adminUrl: 'kong:8001' }, 'gateway.adminUrl', 'must be an http(s) URL'],
    ['an admin URL that does not parse', { adminUrl: 'http://user:pw@[bad' }, 'gateway.adminUrl', 'is not a URL'],
    ['an unknown API mode', { apiMode: 'v2' as 'auto' }, 'gateway.apiMode', 'must be'],
    ['a method', { methods: ['FETCH'] }, 'gateway.methods[0]', 'is not an HTTP method'],
    ['a tag with a comma', { tags: ['a,b'] }, 'gateway.tags[0]', 'printable ASCII'],
    ['a header value', { headers: { a: 1 as unknown as string } }, 'gateway.headers', 'string values'],
    ['a plugin twice', { plugins: [{ name: 'cors' }, { name: 'cors' }] }, 'gateway.plugins[1].name', 'listed twice'],
    ['a target without a port', { target: { address: '10.0.0.5' } }, 'gateway.target.address', 'host:port'],
    ['a target weight', { target: { address: 'a:1', weight: -1 } }, 'gateway.target.weight', 'from 0 to 65535'],
    ['retry delays', { retry: { initialDelay: 500, maxDelay: 100 } }, 'gateway.retry.maxDelay', 'initialDelay'],
    ['retry attempts', { retry: { attempts: 0 } }, 'gateway.retry.attempts', 'from 1'],
  ])('refuses %s, naming the option', (_case, change, option, problem) => {
    let error: unknown;
    try {
      resolveGatewayOptions({ ...base, ...change }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MicrokubesOptionsError);
    expect((error as MicrokubesOptionsError).option).toBe(option);
    expect((error as Error).message).toContain(problem);
  });
});

describe('normaliseAdminUrl', () => {
  it.each([
    ['http://kong:8001', 'http://kong:8001'],
    ['http://kong:8001/', 'http://kong:8001'],
    ['http://kong-admin:8001/admin-api/', 'http://kong-admin:8001/admin-api'],
    ['http://kong-admin:8001//admin-api//v1//', 'http://kong-admin:8001/admin-api/v1'],
    [' https://kong.example.com:8444/?x=1#y ', 'https://kong.example.com:8444'],
  ])('%s -> %s', (raw, normalised) => {
    expect(normaliseAdminUrl(raw)).toBe(normalised);
  });
});
