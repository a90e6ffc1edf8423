import { afterEach, describe, expect, it } from 'vitest';
import { KongAdminEmulator } from '../../lib/testing/index.js';

/** The test double follows Kong's documented behaviour; these tests hold it to that. */
const emulators: KongAdminEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
});

async function start(version?: string, prefix?: string) {
  const emulator = await KongAdminEmulator.start({ version, prefix });
  emulators.push(emulator);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { emulator, call };
}

describe('Kong 3.x admin API emulator', () => {
  it('tells its version on GET /', async () => {
    const { call } = await start('3.9.1');
    expect((await call('GET', '/')).body).toMatchObject({ version: '3.9.1', tagline: 'Welcome to kong' });
  });

  it('PUT upserts (200 both times) and replaces the whole entity', async () => {
    const { call } = await start();
    const created = await call('PUT', '/services/svc', { host: 'a.example', port: 8080, retries: 1, tags: ['x'] });
    expect(created).toMatchObject({ status: 200, body: { name: 'svc', host: 'a.example', port: 8080, retries: 1, tags: ['x'], protocol: 'http' } });
    const replaced = await call('PUT', '/services/svc', { host: 'b.example' });
    expect(replaced).toMatchObject({ status: 200, body: { id: created.body.id, host: 'b.example', port: 80, retries: 5, tags: null } });
  });

  it('POST creates (201); a taken name is 409 with a unique-violation body', async () => {
    const { call } = await start();
    expect((await call('POST', '/services', { name: 'svc', url: 'http://a.example:81/p' })).body).toMatchObject({ host: 'a.example', port: 81, path: '/p' });
    expect(await call('POST', '/services', { name: 'svc', host: 'b' })).toEqual({
      status: 409,
      body: { code: 5, name: 'unique constraint violation', message: `UNIQUE violation detected on '{name="svc"}'`, fields: { name: 'svc' } },
    });
  });

  it('answers 400 schema violations for missing, unknown and invalid fields', async () => {
    const { call } = await start();
    expect(await call('PUT', '/services/svc', { port: 'x', colour: 'red' })).toEqual({
      status: 400,
      body: {
        code: 2, name: 'schema violation',
        message: '3 schema violations (colour: unknown field; host: required field missing; port: expected an integer)',
        fields: { colour: 'unknown field', port: 'expected an integer', host: 'required field missing' },
      },
    });
    expect((await call('PUT', '/routes/r', { service: { name: 'svc' } })).body.message).toBe(
      "schema violation (@entity: must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http')",
    );
    expect((await call('PUT', '/services/svc', { host: 'a', tags: ['a/b'] })).body.fields).toEqual({
      tags: "invalid tag 'a/b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
    });
  });

  it('resolves a route’s service by name, and refuses a missing one', async () => {
    const { call } = await start();
    expect((await call('PUT', '/routes/r', { paths: ['/x'], service: { name: 'nope' } })).body).toMatchObject({ code: 13, name: 'foreign keys unresolved' });
    const service = (await call('PUT', '/services/svc', { host: 'a' })).body;
    expect((await call('PUT', '/routes/r', { paths: ['/x'], service: { name: 'svc' } })).body).toMatchObject({ service: { id: service.id }, strip_path: true });
    expect((await call('DELETE', '/services/svc')).status).toBe(400);
  });

  it('404s a missing entity or parent, 405s a wrong method, and DELETE answers 204', async () => {
    const { call } = await start();
    expect(await call('GET', '/services/nope')).toEqual({ status: 404, body: { message: 'Not found' } });
    expect((await call('POST', '/upstreams/nope/targets', { target: 'a:1' })).status).toBe(404);
    expect((await call('POST', '/services/nope/plugins', { name: 'cors' })).status).toBe(404);
    expect(await call('DELETE', '/services')).toEqual({ status: 405, body: { message: 'Method not allowed' } });
    expect((await call('DELETE', '/services/nope')).status).toBe(204);
  });

  it('keeps targets unique per upstream, with a default port', async () => {
    const { call } = await start();
    await call('PUT', '/upstreams/up', {});
    expect((await call('POST', '/upstreams/up/targets', { target: '10.0.0.1' })).body).toMatchObject({ target: '10.0.0.1:8000', weight: 100 });
    expect((await call('POST', '/upstreams/up/targets', { target: '10.0.0.1:8000' })).status).toBe(409);
    expect((await call('DELETE', '/upstreams/up/targets/10.0.0.1:8000')).status).toBe(204);
    expect((await call('DELETE', '/upstreams/up/targets/10.0.0.1:8000')).status).toBe(404);
  });

  it('keeps one plugin of a name per service, and refuses plugins it does not have', async () => {
    const { call } = await start();
    await call('PUT', '/services/svc', { host: 'a' });
    const plugin = (await call('POST', '/services/svc/plugins', { name: 'cors' })).body;
    expect((await call('POST', '/services/svc/plugins', { name: 'cors' })).body).toMatchObject({ code: 5, name: 'unique constraint violation' });
    expect((await call('PUT', `/plugins/${plugin.id}`, { name: 'cors', config: { a: 1 }, service: { id: plugin.service.id } })).body).toMatchObject({ id: plugin.id, config: { a: 1 } });
    expect((await call('PUT', '/plugins/not-a-uuid', { name: 'cors' })).body).toMatchObject({ code: 1, name: 'invalid primary key' });
    expect((await call('POST', '/services/svc/plugins', { name: 'nope' })).body.fields).toEqual({ name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" });
  });

  it('serves under a path prefix only', async () => {
    const { emulator } = await start(undefined, '/admin-api');
    expect((await fetch(emulator.url.replace('/admin-api', '/services'))).status).toBe(404);
    expect((await fetch(`${emulator.url}/services`)).status).toBe(200);
  });
});

describe('Kong 0.14 admin API emulator', () => {
  it('creates an api (201), lists fields as arrays and applies 0.14 defaults', async () => {
    const { call } = await start('0.14.1');
    const created = await call('POST', '/apis/', { name: 'a', uris: '/x/, /y', upstream_url: 'http://h:1' });
    expect(created).toMatchObject({ status: 201, body: { uris: ['/x', '/y'], strip_uri: true, preserve_host: false, retries: 5, upstream_read_timeout: 60000 } });
    expect(await call('POST', '/apis/', { name: 'a', uris: '/z', upstream_url: 'http://h:1' })).toEqual({ status: 409, body: { name: "already exists with value 'a'" } });
    expect((await call('PATCH', '/apis/a', { uris: ['/z'] })).body).toMatchObject({ id: created.body.id, uris: ['/z'] });
    expect(await call('GET', '/apis/nope')).toEqual({ status: 404, body: { message: 'Not found' } });
  });

  it('answers 0.14 field errors', async () => {
    const { call } = await start('0.14.1');
    expect(await call('POST', '/apis/', {})).toEqual({ status: 400, body: { name: 'name is required', upstream_url: 'upstream_url is required' } });
    expect((await call('POST', '/apis/', { name: 'a', upstream_url: 'http://h' })).body).toEqual({ message: "at least one of 'hosts', 'uris' or 'methods' must be specified" });
    expect((await call('POST', '/apis/', { name: 'a', uris: 'x', upstream_url: 'http://h', colour: 1 })).body).toEqual({
      colour: 'colour is an unknown field', uris: "uri with value 'x' is invalid: must be prefixed with slash",
    });
  });
});

describe('fault switches', () => {
  it('refuses connections while down, and comes back', async () => {
    const { emulator, call } = await start();
    await emulator.downFor(300);
    await expect(call('GET', '/')).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await call('GET', '/')).status).toBe(200);
    await emulator.outage();
    await expect(call('GET', '/')).rejects.toThrow();
  });

  it('answers 5xx for N calls, then recovers; and answers slowly when asked', async () => {
    const { emulator, call } = await start();
    emulator.failNext(2, 500);
    expect((await call('GET', '/')).status).toBe(500);
    expect((await call('GET', '/')).status).toBe(500);
    expect((await call('GET', '/')).status).toBe(200);
    emulator.slow(300);
    const started = Date.now();
    await call('GET', '/');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });
});
