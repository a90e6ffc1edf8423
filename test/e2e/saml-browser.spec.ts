import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformKeysDir, sessionCookieName, type PlatformKeysDir } from '../../lib/testing/index.js';
import { samlSpUrls, startSamlAppOnPort, type SamlApp } from '../support/saml-app.js';
import { SIMPLESAMLPHP_USER, startSimpleSamlPhp, type SimpleSamlPhpIdp } from '../support/simplesamlphp.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/test-app.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/**
 * The whole login in a browser: headless Chromium, the SP in a Nest app, and a real IdP,
 * SimpleSAMLphp 1.19 (Debian's package) under PHP's built-in server, which signs both the
 * Response and the Assertion with the platform's shared key pair and sends the OID attributes.
 */
describe('SAML login in a real browser, against SimpleSAMLphp', () => {
  let keys: PlatformKeysDir | undefined;
  let idp: SimpleSamlPhpIdp | undefined;
  let app: SamlApp | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    keys = platformKeysDir();
    // The IdP must know the SP's entity id and ACS, and the SP the IdP's: the SP's port comes first.
    const port = await freePort();
    const sp = samlSpUrls(port);
    idp = await startSimpleSamlPhp({ spEntityId: sp.entityId, acsUrl: sp.acsUrl, keys: keys.saml });
    app = await startSamlAppOnPort(port, keys.dir, idp);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    // Each one whatever happened to the others.
    const results = await Promise.allSettled([browser?.close(), app?.close(), idp?.stop()]);
    keys?.remove();
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }, 60_000);

  /** A fresh context per login (the IdP's session would sign the next one in); closed whatever happens. */
  async function inFreshContext(run: (page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
    if (!browser || !app || !idp) throw new Error('the browser, the SP or the IdP did not start');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await run(page, context);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await report(page)}`, { cause: error });
    } finally {
      await context.close();
    }
  }

  /** What to look at when the walk fails: where the browser is, what the SP logged, the IdP's logs. */
  async function report(page: Page): Promise<string> {
    const body = await page.content().catch((error: Error) => `(no page content: ${error.message})`);
    return [
      `--- browser at ${page.url()} ---`,
      body.slice(0, 4_000),
      '--- SP log ---',
      ...(app?.logger.lines ?? []),
      idp?.diagnostics() ?? '',
    ].join('\n');
  }

  /** From the SP's page to SimpleSAMLphp's login form, and the form sent with these credentials. */
  async function signIn(page: Page, password: string): Promise<void> {
    await page.goto(`${app!.url}/page`);
    await page.waitForURL((url) => url.href.startsWith(`${idp!.url}/module.php/core/loginuserpass.php?`));
    await page.fill('#username', SIMPLESAMLPHP_USER.username);
    await page.fill('#password', password);
    await page.click('#submit_button');
  }

  it('walks jane from the page through the IdP login form, and back to the page signed in', async () => {
    await inFreshContext(async (page, context) => {
      const acsAnswers: number[] = [];
      page.on('response', (response) => {
        if (response.url() === app!.acsUrl) acsAnswers.push(response.status());
      });

      await signIn(page, SIMPLESAMLPHP_USER.password);
      // SimpleSAMLphp answers with a form that posts the Response to the ACS by itself.
      await page.waitForURL(`${app!.url}/page`, { timeout: 30_000 });

      expect(acsAnswers).toEqual([302]);
      expect(page.url()).toBe(`${app!.url}/page`);
      await expect.poll(() => page.textContent('#username')).toBe(SIMPLESAMLPHP_USER.eduPersonPrincipalName);
      expect(await page.textContent('#roles')).toBe(SIMPLESAMLPHP_USER.eduPersonAffiliation.join(','));
      expect(await page.textContent('#user-id')).toBe(SIMPLESAMLPHP_USER.uid);

      const session = (await context.cookies(app!.url)).find((cookie) => cookie.name === sessionCookieName(app!.entityId));
      expect(session).toMatchObject({ httpOnly: true });

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}saml-login.png`, fullPage: true });
    });
  }, 60_000);

  it('does not open a session for a wrong password', async () => {
    await inFreshContext(async (page, context) => {
      const toSp: string[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(`${app!.url}/`)) toSp.push(`${request.method()} ${request.url()}`);
      });

      await signIn(page, 'not-jane-pass');
      await page.waitForLoadState('load');

      // Back on the form, with SimpleSAMLphp's error, the SP's page never reached.
      expect(page.url().startsWith(`${idp!.url}/module.php/core/loginuserpass.php?`)).toBe(true);
      await expect.poll(() => page.getByText('Incorrect username or password').count()).toBe(1);
      expect(toSp).toEqual([`GET ${app!.url}/page`]);
      expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain(sessionCookieName(app!.entityId));

      // Asked again, the SP still has no session: off to the IdP once more.
      const again = await page.goto(`${app!.url}/page`);
      expect(again?.url().startsWith(`${idp!.url}/module.php/core/loginuserpass.php?`)).toBe(true);
      expect(toSp.filter((line) => line.endsWith('/saml/acs'))).toEqual([]);
      expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain(sessionCookieName(app!.entityId));
    });
  }, 60_000);
});
