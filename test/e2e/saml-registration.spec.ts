import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { startSamlApp } from '../support/saml-app.js';
import { freePort } from '../support/test-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };
const FAST_RETRY = { attempts: 20, deadline: 5_000, initialDelay: 20, maxDelay: 100, requestTimeout: 1_000 };

interface Registration {
  contentType?: string;
  body: string;
}

/**
 * The Microkubes IdP's registration endpoint (PLATFORM.md section 4): `POST /saml/idp/services`
 * with the metadata XML, 201 and an empty body. `failFirst` answers 503 that many times first.
 */
async function startIdp(failFirst = 0, status = 201): Promise<{ url: string; received: Registration[]; calls: () => number; server: Server }> {
  const received: Registration[] = [];
  let calls = 0;
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls++;
      if (request.method !== 'POST' || request.url !== '/saml/idp/services') return void response.writeHead(404).end();
      if (calls <= failFirst) return void response.writeHead(503, { 'content-type': 'text/plain' }).end('starting');
      if (status !== 201) return void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'invalid metadata' }));
      received.push({ contentType: request.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/saml/idp/services`, received, calls: () => calls, server };
}

describe('SP registration with the Microkubes IdP', () => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys?.remove());

  it('posts the SP metadata as application/xml at bootstrap', async () => {
    const idp = await startIdp();
    const app = await startSamlApp(keys.dir, IDP, { registrationUrl: idp.url, registration: { required: true, retry: FAST_RETRY } });
    try {
      expect(idp.received).toHaveLength(1);
      expect(idp.received[0]?.contentType).toBe('application/xml');
      expect(idp.received[0]?.body).toBe(await (await fetch(`${app.url}/saml/metadata`)).text());
      expect(idp.received[0]?.body).toContain(`entityID="${app.entityId}"`);
    } finally {
      await app.close();
      idp.server.close();
    }
  });

  it('retries while the IdP answers 503', async () => {
    const idp = await startIdp(3);
    const app = await startSamlApp(keys.dir, IDP, { registrationUrl: idp.url, registration: { required: true, retry: FAST_RETRY } });
    try {
      expect(idp.calls()).toBe(4);
      expect(idp.received).toHaveLength(1);
      expect(app.logger.lines.filter((line) => /SAML registration at .*: POST answered 503: starting; retry \d+ in \d+ ms/.test(line))).toHaveLength(3);
    } finally {
      await app.close();
      idp.server.close();
    }
  });

  it('retries while the IdP is down, and registers once it is up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/saml/idp/services`;
    const received: string[] = [];
    const late = createServer((request, response) => {
      request.on('data', (chunk: Buffer) => received.push(chunk.toString()));
      request.on('end', () => response.writeHead(201).end());
    });
    setTimeout(() => late.listen(port, '127.0.0.1'), 300);
    const app = await startSamlApp(keys.dir, IDP, { registrationUrl: url, registration: { required: true, retry: FAST_RETRY } });
    try {
      expect(received.join('')).toContain('EntityDescriptor');
      expect(app.logger.lines.some((line) => line.includes('the IdP is unreachable (ECONNREFUSED)'))).toBe(true);
    } finally {
      await app.close();
      late.close();
    }
  });

  it('with required, fails start-up when the IdP stays down', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      startSamlApp(keys.dir, IDP, { registrationUrl: `http://127.0.0.1:${port}/saml/idp/services`, registration: { required: true, retry: { ...FAST_RETRY, deadline: 800 } } }),
    ).rejects.toThrow(`SAML SP registration at http://127.0.0.1:${port}/saml/idp/services failed: the IdP is unreachable (ECONNREFUSED)`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('with required, fails at once on a 4xx, with the IdP\'s message', async () => {
    const idp = await startIdp(0, 400);
    try {
      await expect(startSamlApp(keys.dir, IDP, { registrationUrl: idp.url, registration: { required: true, retry: FAST_RETRY } })).rejects.toThrow(
        'POST answered 400: invalid metadata',
      );
      expect(idp.calls()).toBe(1);
    } finally {
      idp.server.close();
    }
  });

  it('without required, starts anyway and warns', async () => {
    const port = await freePort();
    const app = await startSamlApp(keys.dir, IDP, { registrationUrl: `http://127.0.0.1:${port}/x`, registration: { retry: { ...FAST_RETRY, attempts: 2 } } });
    try {
      expect((await fetch(`${app.url}/saml/metadata`)).status).toBe(200);
      await expect.poll(() => app.logger.lines.some((line) => line.includes('SAML logins may fail until the IdP knows this SP'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
