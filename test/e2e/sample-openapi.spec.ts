import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
import { demoToken, ensureDevKeys } from '../../sample/src/dev-keys.js';
import { DOCS_PATH, sampleDocument, serveApiDocs } from '../../sample/src/openapi-settings.js';
import { rpcServerOptions } from '../../sample/src/rpc-settings.js';
import { launchChromium } from '../support/chromium.js';
import { openApiErrors, operationsOf, walk } from '../support/openapi-walk.js';
import { freePort, PLATFORMS, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** The sample on its embedded development keys, as `npm run sample` starts it: its demo token works. */
async function startSample(platform: HttpPlatform, keysDir: string): Promise<RunningApp> {
  process.env.MICROKUBES_KEYS_DIR = keysDir;
  process.env.RPC_PORT = String(await freePort());
  try {
    return await startApp(platform, { imports: [AppModule] }, 0, { setup: serveApiDocs, microservices: [rpcServerOptions()] });
  } finally {
    delete process.env.MICROKUBES_KEYS_DIR;
    delete process.env.RPC_PORT;
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'mk-openapi-'));
const keysDir = ensureDevKeys(join(scratch, 'keys'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(PLATFORMS)("the sample's OpenAPI document on %s", (platform) => {
  let running: RunningApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    running = await startSample(platform, keysDir);
    // As Swagger UI gets it.
    document = (await (await fetch(`${running.url}/${DOCS_PATH}-json`)).json()) as OpenAPIObject;
  });
  afterAll(() => running?.close());

  it('is a valid OpenAPI 3.1 document, the one sampleDocument() makes', async () => {
    expect(document.openapi).toBe('3.1.0');
    expect(await openApiErrors(document)).toEqual([]);
    expect(JSON.stringify(sampleDocument(running.app))).toBe(JSON.stringify(document));
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['jwt', 'oauth2']);
    // From the sample's platform config (security.jwt.tokenUrl, security.oauth2.tokenUrl and authorizeUrl).
    expect(document.components?.securitySchemes?.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { authorizationCode: { authorizationUrl: 'http://localhost:8000/oauth2/authorize', tokenUrl: 'http://localhost:8000/oauth2/token' } },
    });
  });

  it('calls secured and public what the sample secures and lets through', () => {
    const documented = Object.fromEntries(operationsOf(document).map(({ method, path, documented: how }) => [`${method.toUpperCase()} ${path}`, how]));
    expect(documented).toEqual({
      'GET /hello': 'secured',
      'OPTIONS /hello': 'public',
      'GET /hello/ping': 'public',
      'GET /public/about': 'public',
      'GET /admin': 'secured',
      'GET /reports': 'secured',
      'GET /todos': 'secured',
      'GET /todos/{id}': 'secured',
      'GET /hello/relayed': 'secured',
      'POST /session/logout': 'secured',
      'POST /session/logout-everywhere': 'secured',
      'GET /healthcheck': 'public',
      'GET /version': 'public',
    });
    const forbidden = (path: string) => (document.paths[path]?.get?.responses['403'] as { description: string } | undefined)?.description;
    expect(forbidden('/admin')).toContain('the role `admin`');
    expect(forbidden('/reports')).toContain('the grant `read` on `reports` (any)');
    expect(forbidden('/todos')).toContain('ACL policies');
  });

  it('tells the truth: every operation it calls secured answers 401 without a token, every public one does not', async () => {
    const anonymous = await walk(running.url, document);
    const refused = anonymous.filter((operation) => operation.status === 401).map(({ method, target }) => `${method} ${target}`);
    const secured = anonymous.filter((operation) => operation.documented === 'secured').map(({ method, target }) => `${method} ${target}`);
    expect(refused).toEqual(secured);
    for (const operation of anonymous.filter((o) => o.status === 401)) {
      expect(operation.body).toEqual({ code: 401, message: 'missing bearer token' });
      expect(operation.challenge).toBe('Bearer realm="microkubes"');
    }

    // With the demo token (roles: user), nothing is 401, and a 403 only where the document gives one.
    const signedIn = await walk(running.url, document, { authorization: `Bearer ${demoToken(keysDir)}` });
    expect(signedIn.filter((o) => o.status === 401)).toEqual([]);
    const undocumented403 = signedIn.filter((o) => o.status === 403 && !document.paths[o.path]?.[o.method as 'get']?.responses['403']);
    expect(undocumented403).toEqual([]);
    expect(signedIn.filter((o) => o.status === 403).map(({ target }) => target)).toEqual(['/admin', '/reports']);
    expect(signedIn.find((o) => o.target === '/hello')?.status).toBe(200);
  });
});

describe("the sample's Swagger UI in headless Chromium", () => {
  let running: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    running = await startSample('express', keysDir);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([browser?.close(), running?.close()]);
  });

  it('lists the schemes in the Authorize dialog, and a call made with the demo token answers 200', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(`${running.url}/${DOCS_PATH}`);
    const hello = page.locator('#operations-Hello-HelloController_hello');
    await hello.locator('.opblock-summary').click();
    await hello.locator('button.try-out__btn').click();
    const status = hello.locator('.live-responses-table .response .response-col_status');

    // Without authorizing: the 401 the document promises.
    await hello.locator('button.execute').click();
    await expect.poll(() => status.first().textContent(), { timeout: 15_000 }).toContain('401');

    await page.locator('.auth-wrapper button.authorize').click();
    const schemes = page.locator('.modal-ux .auth-container h4');
    await expect.poll(() => schemes.allTextContents()).toEqual([expect.stringMatching(/^jwt\s*\(http, Bearer\)/), expect.stringMatching(/^oauth2\s*\(OAuth2, authorizationCode\)/)]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('.modal-ux').screenshot({ path: `${ARTIFACTS}swagger-ui-authorize.png` });
    const jwt = page.locator('.modal-ux .auth-container').filter({ hasText: /^jwt/ });
    await jwt.locator('input').fill(demoToken(keysDir));
    await jwt.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();

    await hello.locator('button.btn-clear').click();
    await hello.locator('button.execute').click();
    await expect.poll(() => status.first().textContent(), { timeout: 15_000 }).toContain('200');
    await expect.poll(() => hello.locator('.live-responses-table').textContent()).toContain('Hello demo@example.com from NestJS service on Microkubes');

    await page.screenshot({ path: `${ARTIFACTS}swagger-ui.png`, fullPage: true });
  }, 60_000);
});
