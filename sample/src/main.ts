import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readServiceConfig } from 'microkubes-nestjs';
import { MicrokubesIoAdapter } from 'microkubes-nestjs/socket.io';
import { AppModule } from './app.module.js';
import { rpcServerOptions } from './rpc-settings.js';
import { demoToken } from './dev-keys.js';
import { DOCS_PATH, serveApiDocs } from './openapi-settings.js';
import { startTelemetryFromEnvironment } from './telemetry-settings.js';

async function main(): Promise<void> {
  const configFile = process.env.SERVICE_CONFIG_FILE;
  // From a service config, the port it gives Kong is the one to listen on (as the seed's read_config).
  const port = Number(process.env.PORT ?? (configFile && readServiceConfig(configFile).service?.port) ?? 3000);
  process.env.PORT ??= String(port);
  // The OpenTelemetry SDK before the app: the module takes its meter when the app is created.
  const stopTelemetry = await startTelemetryFromEnvironment();
  // abortOnError: false lets a start-up error (a bad key, an invalid option, Kong refusing the
  // registration) reach the catch below.
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  // SIGTERM and SIGINT close the app, which takes this replica's target out of Kong's upstream.
  app.enableShutdownHooks();
  if (stopTelemetry) process.once('exit', () => void stopTelemetry());
  // socket.io connections are authenticated at their handshake, before any gateway handler runs.
  app.useWebSocketAdapter(new MicrokubesIoAdapter(app));
  // The message handlers over TCP, behind the app's guards and interceptors (inheritAppConfig).
  app.connectMicroservice(rpcServerOptions(), { inheritAppConfig: true });
  // Swagger UI and the OpenAPI document, with the module's security schemes, 401s and 403s.
  serveApiDocs(app);
  await app.startAllMicroservices();
  await app.listen(port);

  console.log(`hello-service listening on http://localhost:${port} (API docs: http://localhost:${port}/${DOCS_PATH})`);
  if (!process.env.MICROKUBES_KEYS_DIR && !configFile) {
    const token = demoToken();
    console.log('\nDevelopment keys in sample/.keys. A demo token, minted as jwt-issuer does:\n');
    console.log(`  ${token}\n`);
    console.log(`  curl -H "Authorization: Bearer ${token}" http://localhost:${port}/hello\n`);
    console.log(`  curl -H "Authorization: Bearer ${token}" http://localhost:${port}/hello/relayed    (relayed over TCP to port ${rpcServerOptions().options?.port})\n`);
    console.log(`  curl -H "Authorization: Bearer ${token}" -H 'content-type: application/json' -d '{"query":"{ hello }"}' http://localhost:${port}/graphql\n`);
    console.log(`  socket.io: io('http://localhost:${port}', { auth: { token: '<the token>' } }).emit('hello'); graphql-ws: connectionParams { authorization: 'Bearer <the token>' }\n`);
  }
  if (process.env.METRICS_PORT) console.log(`Metrics for Prometheus: http://localhost:${process.env.METRICS_PORT}/metrics`);
  if (process.env.SAML_IDP_SSO_URL) console.log(`SAML: open http://localhost:${port}/saml/hello in a browser to sign in at the IdP`);
}

main().catch((error: unknown) => {
  console.error(`hello-service failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
