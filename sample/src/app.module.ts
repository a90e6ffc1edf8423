import { Module } from '@nestjs/common';
import { MicrokubesModule, type MicrokubesAclOptions } from 'microkubes-nestjs';
import { readFileSync } from 'node:fs';
import { AccessController } from './access.controller.js';
import { ensureDevKeys } from './dev-keys.js';
import { gatewayFromEnvironment } from './gateway-settings.js';
import { HelloController } from './hello.controller.js';
import { SamlHelloController } from './saml-hello.controller.js';
import { samlFromEnvironment } from './saml-settings.js';

const saml = samlFromEnvironment();

@Module({
  imports: [
    MicrokubesModule.forRootAsync({
      useFactory: () => ({
        // The platform mounts its keys at /run/secrets (or /run/secrets/microkubes on Kubernetes).
        keysDir: process.env.MICROKUBES_KEYS_DIR || ensureDevKeys(undefined, { saml: !!saml }),
        security: {
          publicRoutes: ['/healthcheck'],
          // With SAML_IDP_SSO_URL: the SAML service provider, and GET /saml/hello for browsers.
          saml,
        },
        // Registers with Kong at start-up when API_GATEWAY_URL is set; start-up fails if that fails.
        gateway: gatewayFromEnvironment(),
        // Grants for @UseRoles and the platform ACL policies, checked on every secured route.
        acl: JSON.parse(readFileSync(new URL('../config/acl.json', import.meta.url), 'utf8')) as MicrokubesAclOptions,
      }),
    }),
  ],
  controllers: [HelloController, AccessController, ...(saml ? [SamlHelloController] : [])],
})
export class AppModule {}
