import { afterEach, describe, expect, it } from 'vitest';
import { GatewayRegistrationError, MicrokubesModule, type MicrokubesGatewayOptions } from '../../lib/index.js';
import { KongAdminEmulator, type KongEmulatorOptions } from '../../lib/testing/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';

const LEGACY = '0.14.1';
const CURRENT = '3.9.1';
const SERVICE_TAGS = ['microkubes', 'microkubes-service:hello-service'];

const emulators: KongAdminEmulator[] = [];
const apps: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
});

async function kong(options: KongEmulatorOptions = {}): Promise<KongAdminEmulator> {
  const emulator = await KongAdminEmulator.start(options);
  emulators.push(emulator);
  return emulator;
}

/** Boots a service that registers itself as the Python README's hello-service does. */
async function boot(emulator: KongAdminEmulator, gateway: Partial<MicrokubesGatewayOptions> = {}): Promise<RunningApp> {
  const app = await startApp('express', {
    imports: [
      MicrokubesModule.forRoot({
        security: { jwt: false, oauth2: false },
        gateway: {
          adminUrl: emulator.url,
          name: 'hello-service',
          paths: ['/hello'],
          host: 'hello-service.service.consul',
          port: 3000,
          ...gateway,
          retry: { initialDelay: 50, maxDelay: 400, deadline: 15_000, ...gateway.retry },
        },
      }),
    ],
  });
  apps.push(app);
  return app;
}

/** Ten replicas of the service, each with its own target, booting at the same time; none may fail. */
async function bootTenAtOnce(emulator: KongAdminEmulator): Promise<void> {
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
    boot(emulator, { target: { address: `10.0.0.${i + 1}:3000` }, plugins: [{ name: 'rate-limiting', config: { minute: 10 } }] })));
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
}

describe.each([CURRENT, '1.4.3', '2.8.4'])('Kong %s: services and routes', (version) => {
  it('registers the service and its route with PUT, tagged, after asking Kong its version', async () => {
    const emulator = await kong({ version });
    await boot(emulator);
    expect(emulator.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /', 'PUT /services/hello-service', 'PUT /routes/hello-service', 'GET /services/hello-service/plugins',
    ]);
    const [service, ...otherServices] = emulator.kong3.services.values();
    expect(otherServices).toEqual([]);
    expect(service).toMatchObject({ name: 'hello-service', protocol: 'http', host: 'hello-service.service.consul', port: 3000, tags: SERVICE_TAGS, retries: 5 });
    const [route, ...otherRoutes] = emulator.kong3.routes.values();
    expect(otherRoutes).toEqual([]);
    expect(route).toMatchObject({
      name: 'hello-service', paths: ['/hello'], protocols: ['http', 'https'], strip_path: false, preserve_host: false,
      service: { id: service!.id }, tags: SERVICE_TAGS, hosts: null, methods: null,
    });
  });
});

describe('Kong 3.x registration', () => {
  it('registers the service without a target that is not required and cannot be added, with a warning', async () => {
    const emulator = await kong();
    // GET /upstreams/{name} finds none (404), then creating it answers 404 as well.
    emulator.failNext(2, 404);
    const app = await boot(emulator, { apiMode: 'services', target: { address: '10.0.0.1:3000', required: false } });
    expect([...emulator.kong3.services.values()]).toEqual([expect.objectContaining({ name: 'hello-service' })]);
    expect(emulator.kong3.upstreams.size).toBe(0);
    expect(app.logger.lines.some((line) => line.startsWith('Not added as target 10.0.0.1:3000 of upstream hello-service.service.consul, going on without it: PUT /upstreams/hello-service.service.consul answered 404'))).toBe(true);
  });

  it('fails start-up when a required target cannot be added', async () => {
    const emulator = await kong();
    emulator.failNext(2, 404);
    await expect(boot(emulator, { apiMode: 'services', target: { address: '10.0.0.1:3000' } })).rejects.toThrow(/PUT \/upstreams\/hello-service.service.consul answered 404/);
    expect(emulator.kong3.services.size).toBe(0);
  });

  it('sends every optional setting, and provisions plugins once, tagged', async () => {
    const emulator = await kong();
    await boot(emulator, {
      protocol: 'https', hosts: ['api.example.com'], methods: ['get', 'POST'], stripPath: true, preserveHost: true, retries: 2,
      connectTimeout: 1000, readTimeout: 2000, writeTimeout: 3000, tags: ['team-a'],
      plugins: [{ name: 'rate-limiting', config: { minute: 100 } }, { name: 'cors', enabled: false }],
    });
    const [service] = emulator.kong3.services.values();
    expect(service).toMatchObject({ protocol: 'https', retries: 2, connect_timeout: 1000, read_timeout: 2000, write_timeout: 3000, tags: [...SERVICE_TAGS, 'team-a'] });
    expect([...emulator.kong3.routes.values()][0]).toMatchObject({ hosts: ['api.example.com'], methods: ['GET', 'POST'], strip_path: true, preserve_host: true });
    const plugins = [...emulator.kong3.plugins.values()].map(({ name, config, enabled, service: owner, tags }) => ({ name, config, enabled, owner, tags }));
    expect(plugins).toEqual([
      { name: 'rate-limiting', config: { minute: 100 }, enabled: true, owner: { id: service!.id }, tags: [...SERVICE_TAGS, 'team-a'] },
      { name: 'cors', config: {}, enabled: false, owner: { id: service!.id }, tags: [...SERVICE_TAGS, 'team-a'] },
    ]);
  });

  it('updates in place on a restart with other paths, port and plugin config, with no duplicates', async () => {
    const emulator = await kong();
    const first = await boot(emulator, { plugins: [{ name: 'rate-limiting', config: { minute: 100 } }, { name: 'cors' }] });
    const serviceId = [...emulator.kong3.services.keys()][0];
    const pluginId = [...emulator.kong3.plugins.values()].find((p) => p.name === 'rate-limiting')!.id;
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    await boot(emulator, { paths: ['/hello', '/hi'], port: 4000, plugins: [{ name: 'rate-limiting', config: { minute: 5 } }] });
    expect([...emulator.kong3.services.values()]).toEqual([expect.objectContaining({ id: serviceId, port: 4000 })]);
    expect([...emulator.kong3.routes.values()]).toEqual([expect.objectContaining({ paths: ['/hello', '/hi'] })]);
    // The plugin kept its id and took the new config; the one no longer listed is gone.
    expect([...emulator.kong3.plugins.values()]).toEqual([expect.objectContaining({ id: pluginId, name: 'rate-limiting', config: { minute: 5 } })]);
  });

  it('updates a plugin that another instance created meanwhile (409)', async () => {
    const emulator = await kong();
    emulator.beforeEachCall((call) => {
      if (call.method === 'POST' && call.path.endsWith('/plugins') && emulator.kong3.plugins.size === 0) {
        const serviceId = [...emulator.kong3.services.keys()][0];
        emulator.kong3.plugins.set('00000000-0000-4000-8000-000000000001', {
          id: '00000000-0000-4000-8000-000000000001', name: 'rate-limiting', config: { minute: 1 }, service: { id: serviceId }, route: null, consumer: null, tags: null,
        });
      }
    });
    await boot(emulator, { plugins: [{ name: 'rate-limiting', config: { minute: 100 } }] });
    expect(emulator.calls.slice(-4).map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /services/hello-service/plugins',
      'POST /services/hello-service/plugins',
      'GET /services/hello-service/plugins',
      'PUT /plugins/00000000-0000-4000-8000-000000000001',
    ]);
    expect([...emulator.kong3.plugins.values()]).toEqual([expect.objectContaining({ config: { minute: 100 }, tags: SERVICE_TAGS })]);
  });

  it('leaves plugins it did not create alone', async () => {
    const emulator = await kong();
    await boot(emulator);
    const serviceId = [...emulator.kong3.services.keys()][0]!;
    emulator.kong3.plugins.set('p1', { id: 'p1', name: 'key-auth', config: {}, service: { id: serviceId }, route: null, consumer: null, tags: ['ops'] });
    await boot(emulator);
    expect(emulator.kong3.plugins.has('p1')).toBe(true);
  });

  it('10 instances booting at once converge to one service, one route, one plugin and 10 targets', async () => {
    const emulator = await kong();
    await bootTenAtOnce(emulator);
    expect(emulator.kong3.services.size).toBe(1);
    expect(emulator.kong3.routes.size).toBe(1);
    expect(emulator.kong3.plugins.size).toBe(1);
    expect(emulator.kong3.upstreams.size).toBe(1);
    expect([...emulator.kong3.upstreams.values()][0]).toMatchObject({ name: 'hello-service.service.consul', tags: SERVICE_TAGS });
    expect(emulator.kong3.targetsOf('hello-service.service.consul').map((t) => t.target).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:3000`).sort(),
    );
  });

  it('counts a target that is already there as registered, and removes its own at shutdown', async () => {
    const emulator = await kong();
    const one = await boot(emulator, { target: { address: '10.0.0.1:3000', weight: 50 } });
    await boot(emulator, { target: { address: '10.0.0.2:3000' } });
    // A restart with another weight: the target is there already (409), its weight is updated.
    await boot(emulator, { target: { address: '10.0.0.2:3000', weight: 30 } });
    expect(emulator.kong3.targetsOf('hello-service.service.consul').map((t) => [t.target, t.weight])).toEqual([['10.0.0.1:3000', 50], ['10.0.0.2:3000', 30]]);

    let listeningWhenRemoved: boolean | undefined;
    emulator.beforeEachCall((call) => {
      if (call.method === 'DELETE') listeningWhenRemoved = one.app.getHttpServer().listening;
    });
    await one.close();
    apps.splice(apps.indexOf(one), 1);
    expect(emulator.kong3.targetsOf('hello-service.service.consul').map((t) => t.target)).toEqual(['10.0.0.2:3000']);
    // Removed while the instance still listened: Kong stops sending traffic before the port goes away.
    expect(listeningWhenRemoved).toBe(true);
    expect(emulator.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/upstreams/hello-service.service.consul/targets/10.0.0.1%3A3000' });
  });

  it("creates a missing upstream, but never replaces one that operators configured", async () => {
    const emulator = await kong();
    emulator.kong3.upstreams.set('u1', { id: 'u1', name: 'hello-service.service.consul', algorithm: 'least-connections', slots: 10000, tags: ['ops'] });
    await boot(emulator, { target: { address: '10.0.0.1:3000' } });
    expect(emulator.kong3.upstreams.get('u1')).toMatchObject({ algorithm: 'least-connections', tags: ['ops', ...SERVICE_TAGS] });
    expect(emulator.calls.filter((c) => c.path.startsWith('/upstreams/hello-service.service.consul') && c.method === 'PUT')).toEqual([]);
  });

  it('puts the service behind a named upstream when the target names one', async () => {
    const emulator = await kong();
    await boot(emulator, { target: { upstream: 'hello-upstream', address: '10.0.0.1:3000' } });
    expect([...emulator.kong3.services.values()][0]).toMatchObject({ host: 'hello-upstream' });
    expect(emulator.kong3.targetsOf('hello-upstream')).toHaveLength(1);
  });
});

describe('Kong 0.14: the /apis entity', () => {
  it('creates the api after asking Kong its version, as microkubes-python does', async () => {
    const emulator = await kong({ version: LEGACY });
    await boot(emulator, { plugins: [{ name: 'rate-limiting', config: { minute: 100 } }] });
    expect(emulator.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /', 'GET /apis/hello-service', 'POST /apis/', 'GET /apis/hello-service/plugins', 'POST /apis/hello-service/plugins',
    ]);
    expect(emulator.calls[2]!.body).toEqual({
      name: 'hello-service', uris: '/hello', upstream_url: 'http://hello-service.service.consul:3000', strip_uri: false, preserve_host: false,
      retries: 5, upstream_connect_timeout: 60000, upstream_read_timeout: 60000, upstream_send_timeout: 60000,
    });
    const [api, ...others] = emulator.kong014.apis.values();
    expect(others).toEqual([]);
    expect(api).toMatchObject({ name: 'hello-service', uris: ['/hello'], upstream_url: 'http://hello-service.service.consul:3000', strip_uri: false, retries: 5 });
    expect([...emulator.kong014.plugins.values()]).toEqual([expect.objectContaining({ name: 'rate-limiting', api_id: api!.id, config: { minute: 100 } })]);
  });

  it('updates the api with PATCH on a restart, with no duplicates', async () => {
    const emulator = await kong({ version: LEGACY });
    const first = await boot(emulator, { plugins: [{ name: 'rate-limiting', config: { minute: 100 } }] });
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    await boot(emulator, { paths: ['/hello', '/hi'], port: 4000, methods: ['GET'], plugins: [{ name: 'rate-limiting', config: { minute: 5 } }] });
    expect(emulator.calls.filter((c) => c.method === 'PATCH').map((c) => c.path)).toContain('/apis/hello-service');
    expect([...emulator.kong014.apis.values()]).toEqual([
      expect.objectContaining({ uris: ['/hello', '/hi'], methods: ['GET'], upstream_url: 'http://hello-service.service.consul:4000' }),
    ]);
    expect([...emulator.kong014.plugins.values()]).toEqual([expect.objectContaining({ config: { minute: 5 } })]);
  });

  it('10 instances booting at once converge to one api and 10 targets (409s resolved by updating)', async () => {
    const emulator = await kong({ version: LEGACY });
    await bootTenAtOnce(emulator);
    expect(emulator.kong014.apis.size).toBe(1);
    expect(emulator.kong014.plugins.size).toBe(1);
    expect(emulator.kong014.upstreams.size).toBe(1);
    expect(emulator.kong014.targetsOf('hello-service.service.consul')).toHaveLength(10);
    expect(emulator.calls.some((c) => c.method === 'POST' && c.path === '/apis/')).toBe(true);
  });

  it('resolves a 409 from an api created meanwhile by updating it', async () => {
    const emulator = await kong({ version: LEGACY });
    emulator.beforeEachCall((call) => {
      // Another instance creates the api between this one's GET and POST.
      if (call.method === 'POST' && call.path === '/apis/' && emulator.kong014.apis.size === 0) {
        emulator.kong014.apis.set('other', { id: 'other', name: 'hello-service', uris: ['/old'], upstream_url: 'http://old:1' });
      }
    });
    await boot(emulator);
    expect(emulator.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /', 'GET /apis/hello-service', 'POST /apis/', 'PATCH /apis/hello-service']);
    expect([...emulator.kong014.apis.values()]).toEqual([expect.objectContaining({ id: 'other', uris: ['/hello'], upstream_url: 'http://hello-service.service.consul:3000' })]);
  });

  it('removes its own target at shutdown', async () => {
    const emulator = await kong({ version: LEGACY });
    const app = await boot(emulator, { target: { address: '10.0.0.7:3000' } });
    expect(emulator.kong014.targetsOf('hello-service.service.consul')).toHaveLength(1);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(emulator.kong014.targetsOf('hello-service.service.consul')).toHaveLength(0);
  });
});

describe('API mode', () => {
  it('legacy can be forced, without asking Kong its version', async () => {
    const emulator = await kong({ version: LEGACY });
    await boot(emulator, { apiMode: 'legacy' });
    expect(emulator.calls[0]).toMatchObject({ method: 'GET', path: '/apis/hello-service' });
    expect(emulator.kong014.apis.size).toBe(1);
  });

  it('services can be forced, without asking Kong its version', async () => {
    const emulator = await kong();
    await boot(emulator, { apiMode: 'services' });
    expect(emulator.calls[0]).toMatchObject({ method: 'PUT', path: '/services/hello-service' });
    expect(emulator.kong3.services.size).toBe(1);
  });
});

describe('failures', () => {
  it('boots once Kong comes up, after 5 s of refused connections', async () => {
    const emulator = await kong();
    await emulator.downFor(5_000);
    const started = Date.now();
    const app = await boot(emulator, { retry: { initialDelay: 100, maxDelay: 1_000, attempts: 50, deadline: 20_000 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
    expect(emulator.kong3.services.size).toBe(1);
    expect(app.logger.lines.some((line) => line.startsWith('GET /: Kong is unreachable (ECONNREFUSED); retry'))).toBe(true);
  });

  it('fails within the deadline with GatewayRegistrationError when Kong stays down', async () => {
    const emulator = await kong();
    await emulator.outage();
    const started = Date.now();
    const error = await boot(emulator, { retry: { deadline: 2_000, attempts: 100 } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(GatewayRegistrationError);
    expect((error as Error).message).toBe(`Registration with Kong at ${emulator.url} failed: Kong is unreachable (ECONNREFUSED)`);
  });

  it('gives up after the configured number of attempts', async () => {
    const emulator = await kong();
    emulator.failNext(100, 502);
    const error = await boot(emulator, { retry: { attempts: 3 } }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('GET / answered 502: An unexpected error occurred');
    expect(emulator.calls).toHaveLength(3);
  });

  it('retries through 5xx answers', async () => {
    const emulator = await kong();
    emulator.failNext(4, 503);
    await boot(emulator);
    expect(emulator.kong3.services.size).toBe(1);
    expect(emulator.calls.filter((c) => c.path === '/')).toHaveLength(5);
  });

  it('retries a call that times out, and fails when Kong stays too slow', async () => {
    const emulator = await kong();
    emulator.slow(1_000);
    const error = await boot(emulator, { retry: { requestTimeout: 200, deadline: 1_500 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayRegistrationError);
    expect((error as Error).message).toContain('Kong did not answer in time');
    expect(emulator.calls.length).toBeGreaterThan(1);

    emulator.slow(50);
    await boot(emulator, { retry: { requestTimeout: 1_000 } });
    expect(emulator.kong3.services.size).toBe(1);
  });

  it('fails at once, with Kong’s message, on a 400 that retrying cannot fix', async () => {
    const emulator = await kong();
    const started = Date.now();
    const error = await boot(emulator, { plugins: [{ name: 'no-such-plugin' }] }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(GatewayRegistrationError);
    expect((error as Error).message).toBe(
      `Registration with Kong at ${emulator.url} failed: POST /services/hello-service/plugins answered 400: ` +
        "schema violation (name: plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property)",
    );
    expect(emulator.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it("fails at once on 0.14's field errors", async () => {
    const emulator = await kong({ version: LEGACY });
    const error = await boot(emulator, { paths: ['~/regex'] }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("POST /apis/ answered 400: uris: uri with value '~/regex' is invalid: must be prefixed with slash");
  });
});

describe('admin URL and headers', () => {
  it('keeps a path prefix, folds slashes and sends the admin token on every call', async () => {
    const emulator = await kong({ prefix: '/admin-api', adminToken: 's3cret' });
    const adminUrl = emulator.url.replace('/admin-api', '//admin-api//');
    await boot(emulator, { adminUrl, headers: { 'Kong-Admin-Token': 's3cret' }, target: { address: '10.0.0.1:3000' } });
    expect(emulator.kong3.services.size).toBe(1);
    expect(emulator.calls.every((c) => c.path.startsWith('/admin-api/') && c.headers['kong-admin-token'] === 's3cret')).toBe(true);
  });

  it('sends credentials of the admin URL as basic auth, and never shows them', async () => {
    const emulator = await kong();
    const adminUrl = emulator.url.replace('http://', 'http://admin:s3cr%40t@');
    const app = await boot(emulator, { adminUrl });
    expect(emulator.calls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('admin:s3cr@t').toString('base64')}`);
    expect(app.logger.lines.join('\n')).not.toContain('s3cr');
    await emulator.outage();
    const error = await boot(emulator, { adminUrl, retry: { deadline: 300 } }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`Registration with Kong at ${emulator.url} failed: Kong is unreachable (ECONNREFUSED)`);
  });

  it('fails at once when the admin API refuses the credentials', async () => {
    const emulator = await kong({ adminToken: 's3cret' });
    const error = await boot(emulator, { headers: { 'Kong-Admin-Token': 'wrong' } }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('GET / answered 401: Invalid credentials. Token or User credentials required');
    expect((error as Error).message).not.toContain('wrong');
    expect(emulator.calls).toHaveLength(1);
  });

  it('takes the admin URL from API_GATEWAY_URL by default', async () => {
    const emulator = await kong();
    process.env.API_GATEWAY_URL = emulator.url;
    try {
      await boot(emulator, { adminUrl: undefined });
    } finally {
      delete process.env.API_GATEWAY_URL;
    }
    expect(emulator.kong3.services.size).toBe(1);
  });
});

describe('without a gateway', () => {
  it('registers nothing, and says so once', async () => {
    const emulator = await kong();
    const app = await startApp('express', { imports: [MicrokubesModule.forRoot({ security: { jwt: false, oauth2: false } })] });
    apps.push(app);
    expect(emulator.calls).toEqual([]);
    expect(app.logger.lines.filter((line) => line === 'No gateway configured: not registering with Kong')).toHaveLength(1);
  });
});
