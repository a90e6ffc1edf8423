import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { ClientProxyFactory } from '@nestjs/microservices';
import { GraphQLModule } from '@nestjs/graphql';
import { ConnectionAuthenticator, MicrokubesModule, readServiceConfig, ServiceCalls, type AccessControlGrants } from 'microkubes-nestjs';
import { graphqlWsAuthentication } from 'microkubes-nestjs/graphql';
import { withServiceCalls } from 'microkubes-nestjs/microservices';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AccessController } from './access.controller.js';
import { ensureDevKeys } from './dev-keys.js';
import { gatewayFromEnvironment } from './gateway-settings.js';
import { HelloController } from './hello.controller.js';
import { HelloGateway } from './hello.gateway.js';
import { HelloHandlers } from './hello.handlers.js';
import { HelloResolver } from './hello.resolver.js';
import { HELLO_OVER_TCP, RelayController } from './relay.controller.js';
import { revocationFromEnvironment, RevocationRedisCloser } from './revocation-settings.js';
import { rpcClientOptions } from './rpc-settings.js';
import { SamlHelloController } from './saml-hello.controller.js';
import { samlFromEnvironment } from './saml-settings.js';
import { SessionController } from './session.controller.js';

/** The sample's platform service config: its ACL policies and version serve the embedded defaults too. */
export const SAMPLE_SERVICE_CONFIG = fileURLToPath(new URL('../config/service-config.json', import.meta.url));
/** nest-access-control grants for @UseRoles: not part of a platform config, so given in code. */
const { grants } = JSON.parse(readFileSync(new URL('../config/acl.json', import.meta.url), 'utf8')) as { grants: AccessControlGrants };

const saml = samlFromEnvironment();
// The platform mounts its keys at /run/secrets (or /run/secrets/microkubes on Kubernetes).
const keysDir = () => process.env.MICROKUBES_KEYS_DIR || ensureDevKeys(undefined, { saml: !!saml });

/**
 * With SERVICE_CONFIG_FILE, as on the platform: everything from that file (Kong registration,
 * keys, strategies, public routes, ACL policies, version), with the grants and SAML given here.
 * Without it, embedded defaults: development keys, and Kong only when API_GATEWAY_URL is set.
 */
const microkubes = process.env.SERVICE_CONFIG_FILE
  ? MicrokubesModule.forServiceConfig({
      // Options given in code override the file's: here only when MICROKUBES_KEYS_DIR says so.
      ...(process.env.MICROKUBES_KEYS_DIR && { keysDir: process.env.MICROKUBES_KEYS_DIR }),
      security: { saml },
      acl: { grants },
      // Relay only: the sample calls itself with its callers' tokens (no system key needed).
      serviceCalls: { systemKey: false },
    })
  : MicrokubesModule.forRootAsync({
      useFactory: async () => {
        const platformConfig = readServiceConfig(SAMPLE_SERVICE_CONFIG);
        return {
          keysDir: keysDir(),
          // ignorePatterns: routes that skip security. With SAML_IDP_SSO_URL: the SAML service
          // provider, and GET /saml/hello for browsers.
          // With REVOCATION_REDIS_URL: tokens revoked on every replica (POST /session/logout).
          // The token URLs only document where tokens come from (the OpenAPI document at /docs).
          security: {
            publicRoutes: platformConfig.security?.ignorePatterns,
            jwt: { tokenUrl: platformConfig.security?.jwt?.tokenUrl },
            oauth2: { tokenUrl: platformConfig.security?.oauth2?.tokenUrl, authorizationUrl: platformConfig.security?.oauth2?.authorizeUrl },
            saml,
            revocation: await revocationFromEnvironment(),
          },
          // Registers with Kong at start-up when API_GATEWAY_URL is set; start-up fails if that fails.
          gateway: gatewayFromEnvironment(),
          // Grants for @UseRoles, and the platform ACL policies, checked on every secured route.
          acl: { grants, policies: platformConfig.security?.acl?.policies },
          // Served at GET /version; GET /healthcheck is on by default.
          version: platformConfig.version,
          // Calls to other services (here, itself) relay the caller's token; no system key needed.
          serviceCalls: { serviceName: 'hello-service', systemKey: false },
        };
      },
    });

/** POST /graphql (Apollo), with graphql-ws subscriptions authenticated at connection_init. */
const graphql = GraphQLModule.forRootAsync<ApolloDriverConfig>({
  driver: ApolloDriver,
  inject: [ConnectionAuthenticator],
  useFactory: (connections: ConnectionAuthenticator) => ({
    autoSchemaFile: true,
    subscriptions: { 'graphql-ws': graphqlWsAuthentication(connections) },
  }),
});

@Module({
  imports: [microkubes, graphql],
  controllers: [HelloController, AccessController, RelayController, SessionController, HelloHandlers, ...(saml ? [SamlHelloController] : [])],
  providers: [
    RevocationRedisCloser,
    HelloResolver,
    HelloGateway,
    {
      provide: HELLO_OVER_TCP,
      inject: [ServiceCalls],
      // Every message carries the token of the caller being handled (Nest's packet metadata over TCP).
      useFactory: (calls: ServiceCalls) => withServiceCalls(ClientProxyFactory.create(rpcClientOptions()), calls, 'relay'),
    },
  ],
})
export class AppModule {}
