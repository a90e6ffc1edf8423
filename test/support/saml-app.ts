import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard, MicrokubesModule, type SamlSecurityOptions } from '../../lib/index.js';
import { HelloController } from './hello.controller.js';
import { freePort, startApp, type HttpPlatform, type RunningApp } from './test-app.js';

/** A page for browsers: who is signed in. */
@Controller('page')
@UseGuards(MicrokubesAuthGuard)
export class PageController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(@CurrentAuth() auth: Auth) {
    const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!doctype html><title>Signed in</title><h1 id="username">${escape(auth.username)}</h1><p id="roles">${escape(auth.roles.join(','))}</p><p id="user-id">${escape(auth.userId)}</p>`;
  }
}

export interface SamlApp extends RunningApp {
  acsUrl: string;
  entityId: string;
}

/** The SP's URLs on `port`: an IdP that must know them before the app starts can be told them. */
export function samlSpUrls(port: number): { url: string; entityId: string; acsUrl: string } {
  const url = `http://127.0.0.1:${port}`;
  return { url, entityId: `${url}/saml/metadata`, acsUrl: `${url}/saml/acs` };
}

/** How the Nest app around the SP is made: its adapter, body parser and global prefix. */
export interface AppSettings {
  platform?: HttpPlatform;
  bodyParser?: boolean;
  globalPrefix?: string;
}

/** An app with the SAML SP on, at a port known in advance (the ACS URL names it). */
export async function startSamlApp(
  keysDir: string,
  idp: { entityId: string; ssoUrl: string },
  saml: Partial<SamlSecurityOptions> = {},
  settings: AppSettings = {},
): Promise<SamlApp> {
  return startSamlAppOnPort(await freePort(), keysDir, idp, saml, settings);
}

/** startSamlApp on a given port, e.g. one whose SP URLs (samlSpUrls) a real IdP was configured with. */
export async function startSamlAppOnPort(
  port: number,
  keysDir: string,
  idp: { entityId: string; ssoUrl: string },
  saml: Partial<SamlSecurityOptions> = {},
  { platform = 'express', ...appOptions }: AppSettings = {},
): Promise<SamlApp> {
  const sp = samlSpUrls(port);
  // microkubes-python's config shape (sp, idp) is given whole; flat options get these defaults.
  const seedShape = 'sp' in saml || 'idp' in saml;
  const options: SamlSecurityOptions = seedShape
    ? (saml as SamlSecurityOptions)
    : { entityId: sp.entityId, acsUrl: sp.acsUrl, idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCert: 'service.cert', ...saml };
  const running = await startApp(
    platform,
    { imports: [MicrokubesModule.forRoot({ keysDir, watchKeys: false, security: { saml: options } })], controllers: [HelloController, PageController] },
    port,
    appOptions,
  );
  return { ...running, acsUrl: seedShape ? sp.acsUrl : options.acsUrl, entityId: seedShape ? sp.entityId : options.entityId };
}
