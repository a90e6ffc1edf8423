import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mergeOptions } from '../../../lib/config/merged-options.js';
import { resolveSourcedOptions } from '../../../lib/config/service-config-options.js';
import {
  optionsFromServiceConfig,
  readServiceConfig,
  serviceConfigFile,
  serviceConfigOptions,
  ServiceConfigError,
  SYSTEM_ACCESS_POLICY,
  type ServiceConfig,
} from '../../../lib/index.js';

const TODO = new URL('../../fixtures/service-config/todo.json', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'mk-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let written = 0;
function configFile(text: string): string {
  const file = join(scratch, `config-${written++}.json`);
  writeFileSync(file, text);
  return file;
}
const configOf = (config: unknown) => configFile(JSON.stringify(config, null, 2));
const todo = (): ServiceConfig => readServiceConfig(TODO);

function errorOf(run: () => unknown): ServiceConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceConfigError);
    return error as ServiceConfigError;
  }
  throw new Error('expected a ServiceConfigError');
}

describe('serviceConfigFile', () => {
  it('takes the argument, else SERVICE_CONFIG_FILE, else the platform path of the service name', () => {
    expect(serviceConfigFile('/etc/config/config.json', 'todo', { SERVICE_CONFIG_FILE: '/x.json' })).toBe('/etc/config/config.json');
    expect(serviceConfigFile(undefined, 'todo', { SERVICE_CONFIG_FILE: '/x.json' })).toBe('/x.json');
    expect(serviceConfigFile(undefined, 'todo', { SERVICE_CONFIG_FILE: '' })).toBe('/run/secrets/microservice_todo_config.json');
    expect(errorOf(() => serviceConfigFile(undefined, undefined, {})).message).toMatch(/SERVICE_CONFIG_FILE.*serviceName/);
  });
});

describe('readServiceConfig', () => {
  it('reads the platform config of PLATFORM.md section 6', () => {
    expect(todo()).toMatchObject({ service: { name: 'todo', virtual_host: 'todo.service.consul' }, version: '1.0.0' });
  });

  it('fails on a missing file, naming it', () => {
    const error = errorOf(() => readServiceConfig(join(scratch, 'absent.json')));
    expect(error.message).toBe(`Service config ${join(scratch, 'absent.json')}: does not exist`);
  });

  it.each([
    ['{\n  "service": {\n    "name": "todo",\n  }\n}', 'line 4, column 3'],
    ['{\n  "version": "1.0.0"\n  "gatewayUrl": "x"\n}', 'line 3, column 3'],
    ['{"version": }', 'line 1, column 13'],
    ['', 'line 1, column 1'],
    ["{'version': '1'}", 'line 1, column 2'],
    ['{"version": "1"} trailing', 'line 1, column 18'],
  ])('fails on invalid JSON with the line and column: %j', (text, where) => {
    const file = configFile(text);
    const error = errorOf(() => readServiceConfig(file));
    expect(error.message).toContain(`Service config ${file}: is not valid JSON: `);
    expect(error.message).toContain(`at ${where}`);
  });

  it('fails on JSON that is not an object', () => {
    expect(errorOf(() => readServiceConfig(configFile('[1, 2]'))).message).toMatch(/must hold a JSON object$/);
  });

  it.each([
    [{ service: { name: 'todo', port: '8080', paths: ['/todo'], virtual_host: 'h' } }, 'service.port', 'must be a whole number from 1 to 65535 (got "8080")'],
    [{ service: { name: 'todo', port: 0, paths: ['/todo'], virtual_host: 'h' } }, 'service.port', 'must be a whole number from 1 to 65535 (got 0)'],
    [{ service: { paths: ['/todo'], virtual_host: 'h' } }, 'service.name', 'is missing'],
    [{ service: { name: 'todo', paths: '/todo', virtual_host: 'h' } }, 'service.paths', 'must be an array of strings (got "/todo")'],
    [{ service: { name: 'todo', paths: ['todo'], virtual_host: 'h' } }, 'service.paths[0]', 'must start with "/" (got "todo")'],
    [{ service: { name: 'todo', paths: ['/todo'] } }, 'service.virtual_host', 'is missing'],
    [{ service: { name: 'todo', paths: ['/todo'], virtual_host: 'h', weight: 'heavy' } }, 'service.weight', 'must be a whole number from 0 to 65535 (got "heavy")'],
    [{ service: ['todo'] }, 'service', 'must be an object (got ["todo"])'],
    [{ gatewayAdminUrl: 'kong:8001' }, 'gatewayAdminUrl', 'must be an http(s) URL (got "kong:8001")'],
    [{ version: 1 }, 'version', 'must be a non-empty string (got 1)'],
    [{ security: { keysDir: 42 } }, 'security.keysDir', 'must be a non-empty string (got 42)'],
    [{ security: { disable: 'no' } }, 'security.disable', 'must be true or false (got "no")'],
    [{ security: { ignorePatterns: ['/ok/.*', '/broken/(.*'] } }, 'security.ignorePatterns[1]', 'is not a valid regular expression'],
    [{ security: { ignoreHttpMethods: 'OPTIONS' } }, 'security.ignoreHttpMethods', 'must be an array of strings (got "OPTIONS")'],
    [{ security: { jwt: true } }, 'security.jwt', 'must be an object (got true)'],
    [{ security: { saml: { identityProviderUrl: 'http://kong:8000/saml/idp' } } }, 'security.saml.rootURL', 'is missing'],
    [{ security: { saml: { identityProviderUrl: 'idp', rootURL: 'http://x' } } }, 'security.saml.identityProviderUrl', 'must be an http(s) URL (got "idp")'],
    [{ security: { acl: { policies: {} } } }, 'security.acl.policies', 'must be an array (got {})'],
    [{ security: { acl: { policies: ['allow'] } } }, 'security.acl.policies[0]', 'must be an object (got "allow")'],
  ])('fails on a field of the wrong type: %j', (config, field, problem) => {
    const file = configOf(config);
    const error = errorOf(() => readServiceConfig(file));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`Service config ${file}: "${field}" ${problem}`);
  });

  it('ignores unknown fields with one debug line, and keeps them for the app', () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => {});
    try {
      const config = readServiceConfig(configOf({ database: { host: 'mongo' }, containerManager: 'swarm', service: { name: 'a', paths: ['/a'], virtual_host: 'a', color: 1 } }));
      expect(config.containerManager).toBe('swarm');
      expect(debug).toHaveBeenCalledTimes(1);
      expect(debug.mock.calls[0]![0]).toMatch(/ignored fields this module does not use: service\.color, containerManager$/);
    } finally {
      debug.mockRestore();
    }
  });
});

describe('optionsFromServiceConfig', () => {
  it('maps the platform config onto the module options', () => {
    const options = optionsFromServiceConfig(todo(), {}, () => '10.1.2.3');
    expect(options).toEqual({
      version: '1.0.0',
      keysDir: '/run/secrets',
      keys: { 'saml-sp.key': '/run/secrets/service.key', 'saml-sp.cert': '/run/secrets/service.cert' },
      gateway: {
        adminUrl: 'http://kong:8001',
        name: 'todo',
        paths: ['/todo'],
        host: 'todo.service.consul',
        port: 8080,
        target: { address: '10.1.2.3:8080', weight: 10, required: false },
      },
      security: {
        // Where tokens come from: only the OpenAPI document (microkubes-nestjs/swagger) names them.
        jwt: { tokenUrl: 'http://kong:8000/jwt' },
        oauth2: { tokenUrl: 'http://kong:8000/oauth2/token', authorizationUrl: 'http://kong:8000/oauth2/authorize' },
        publicRoutes: ['/todo/public/.*'],
        ignoreHttpMethods: ['OPTIONS'],
        saml: {
          entityId: 'http://localhost:8000/todo/saml/metadata',
          acsUrl: 'http://localhost:8000/todo/saml/acs',
          routePrefix: '/todo/saml',
          idpEntityId: 'http://kong:8000/saml/idp/metadata',
          idpSsoUrl: 'http://kong:8000/saml/idp/sso',
          registrationUrl: 'http://kong:8000/saml/idp/services',
          privateKeyName: 'saml-sp.key',
          certName: 'saml-sp.cert',
        },
      },
      acl: { disable: false, policies: [todo().security!.acl!.policies![0], SYSTEM_ACCESS_POLICY] },
    });
  });

  it("leaves out, with a warning, a token or authorize URL the document cannot show; keeps a path", () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      const options = optionsFromServiceConfig({ security: { jwt: { tokenUrl: '/jwt' }, oauth2: { tokenUrl: 'kong:8000/token', authorizeUrl: 'https://a/"><b>' } } });
      expect(options.security).toMatchObject({ jwt: { tokenUrl: '/jwt' }, oauth2: {} });
      expect(warn.mock.calls.map(([line]) => line)).toEqual([
        'security.oauth2.tokenUrl: "kong:8000/token" is not an http(s) URL or a path: left out of the OpenAPI document',
        'security.oauth2.authorizeUrl: "https://a/\\"><b>" is not an http(s) URL or a path: left out of the OpenAPI document',
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('lets API_GATEWAY_URL win over gatewayAdminUrl', () => {
    expect(optionsFromServiceConfig(todo(), { API_GATEWAY_URL: 'http://kong-admin:8001' }).gateway!.adminUrl).toBe('http://kong-admin:8001');
  });

  it('turns on only the strategies the file names, and OPTIONS is ignored by default', () => {
    const options = optionsFromServiceConfig({ security: { jwt: {} } });
    expect(options.security).toEqual({ jwt: {}, oauth2: false, publicRoutes: [], ignoreHttpMethods: ['OPTIONS'] });
    expect(optionsFromServiceConfig({}).security).toMatchObject({ jwt: false, oauth2: false });
  });

  it('does not add a target without weight, nor without an address other than loopback', () => {
    const service = { name: 'a', paths: ['/a'], virtual_host: 'a.service.consul' };
    expect(optionsFromServiceConfig({ service }, {}, () => '10.0.0.1').gateway!.target).toBeUndefined();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      expect(optionsFromServiceConfig({ service: { ...service, weight: 5 } }, {}, () => undefined).gateway!.target).toBeUndefined();
      expect(warn.mock.calls[0]![0]).toMatch(/service\.weight: .* not added as a target/);
    } finally {
      warn.mockRestore();
    }
  });

  it("keeps the file's own system-access policy, and adds none when there is no acl", () => {
    const own = { ...SYSTEM_ACCESS_POLICY, subjects: ['robot'] };
    expect(optionsFromServiceConfig({ security: { acl: { policies: [own] } } }).acl!.policies).toEqual([own]);
    expect(optionsFromServiceConfig({ security: {} }).acl).toBeUndefined();
  });

  it("maps security.disable onto the module's switch, the rest kept for code that turns it back on", () => {
    expect(optionsFromServiceConfig({ security: { disable: true, jwt: {}, acl: { policies: [] } } })).toMatchObject({
      security: { disable: true, jwt: {}, oauth2: false },
      acl: { disable: false, policies: [SYSTEM_ACCESS_POLICY] },
    });
  });

  it('serves SAML at the root path of rootURL (Kong passes the path on)', () => {
    const saml = optionsFromServiceConfig({ security: { saml: { identityProviderUrl: 'http://idp/', rootURL: 'http://example.com/' } } }).security!.saml;
    expect(saml).toMatchObject({ routePrefix: '/saml', entityId: 'http://example.com/saml/metadata', idpSsoUrl: 'http://idp/sso' });
    expect(saml).not.toHaveProperty('privateKeyName');
  });
});

describe('serviceConfigOptions', () => {
  it('lays the options given in code over the file', () => {
    const options = serviceConfigOptions({ configFile: TODO, version: '2.0.0', security: { oauth2: false, globalGuard: true }, acl: { disable: true } }, {});
    expect(options.version).toBe('2.0.0');
    expect(options.security).toMatchObject({ jwt: {}, oauth2: false, globalGuard: true, publicRoutes: ['/todo/public/.*'] });
    expect(options.acl).toMatchObject({ disable: true, policies: [{ id: 'todo-read' }, { id: 'system-access' }] });
  });

  it("moves the file's target to the port the code gives", () => {
    const options = serviceConfigOptions({ configFile: TODO, gateway: { port: 3000 } }, {});
    const target = options.gateway!.target;
    if (target) expect(target).toEqual({ address: expect.stringMatching(/:3000$/), weight: 10, required: false });
    expect(serviceConfigOptions({ configFile: TODO, gateway: { port: 3000, target: { address: '10.0.0.9:4000' } } }, {}).gateway!.target).toEqual({
      address: '10.0.0.9:4000', weight: 10, required: false,
    });
  });

  it("keeps the platform's system access when the code gives policies of its own", () => {
    const own = { id: 'mine', effect: 'allow' as const, subjects: ['<.+>'], resources: ['/x'], actions: ['api:read'] };
    expect(serviceConfigOptions({ configFile: TODO, acl: { policies: [own] } }, {}).acl!.policies).toEqual([own, SYSTEM_ACCESS_POLICY]);
  });

  it('blames API_GATEWAY_URL, not the file, for an admin URL it gave', () => {
    expect(() => resolveSourcedOptions(serviceConfigOptions(TODO, { API_GATEWAY_URL: 'kong-admin:8001' }))).toThrow(
      'Invalid MicrokubesModule option "gateway.adminUrl": from the API_GATEWAY_URL environment variable: must be an http(s) URL (got kong-admin:)',
    );
  });

  it('names the file field when a value of the file is wrong, and the option when the code is', () => {
    const file = configOf({ security: { acl: { policies: [{ id: 'p', effect: 'maybe', subjects: ['<.+>'], resources: ['/'], actions: ['api:read'] }] } } });
    const fromFile = errorOf(() => resolveSourcedOptions(serviceConfigOptions(file, {})));
    expect(fromFile.message).toBe(`Service config ${file}: "security.acl.policies[0] (p).effect" must be "allow" or "deny"`);
    const overridden = serviceConfigOptions({ configFile: file, acl: { policies: [{ id: 'q', effect: 'maybe' as 'allow', subjects: [], resources: [], actions: [] }] } }, {});
    expect(() => resolveSourcedOptions(overridden)).toThrow('Invalid MicrokubesModule option "acl.policies[0] (q)');

    const noAdminUrl = configOf({ service: { name: 'a', paths: ['/a'], virtual_host: 'a' } });
    expect(errorOf(() => resolveSourcedOptions(serviceConfigOptions(noAdminUrl, {}))).message).toBe(
      `Service config ${noAdminUrl}: "gatewayAdminUrl" is not set, and neither is the API_GATEWAY_URL environment variable`,
    );
    expect(() => resolveSourcedOptions(serviceConfigOptions({ configFile: TODO, gateway: { port: 0 } }, {}))).toThrow(
      'Invalid MicrokubesModule option "gateway.port"',
    );
  });
});

describe('mergeOptions', () => {
  it('merges plain objects, replaces arrays, false and class instances, and skips undefined', () => {
    const client = new (class RedisLike { sendCommand() {} })();
    const merged = mergeOptions(
      { a: { b: 1, c: [1, 2] }, d: { e: 1 }, f: { g: 1 }, h: 1 },
      { a: { c: [3] }, d: false, f: client, h: undefined },
    );
    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: false, f: client, h: 1 });
    expect(merged.f).toBe(client);
  });
});
