import type { MicrokubesGatewayOptions } from 'microkubes-nestjs';

/**
 * Registration with Kong when `API_GATEWAY_URL` (Kong's admin URL) is set, as on the platform.
 * `SERVICE_NAME`, `SERVICE_HOST`, `SERVICE_PORT` and `SERVICE_PATHS` (comma-separated) describe
 * the service; `SERVICE_TARGET` (`ip:port`) adds this replica to the service's upstream.
 */
export function gatewayFromEnvironment(env: NodeJS.ProcessEnv = process.env): MicrokubesGatewayOptions | undefined {
  if (!env.API_GATEWAY_URL) return undefined;
  const name = env.SERVICE_NAME || 'hello-service';
  return {
    adminUrl: env.API_GATEWAY_URL,
    name,
    host: env.SERVICE_HOST || `${name}.service.consul`,
    port: Number(env.SERVICE_PORT || env.PORT || 3000),
    paths: (env.SERVICE_PATHS || '/hello').split(',').map((path) => path.trim()),
    target: env.SERVICE_TARGET ? { address: env.SERVICE_TARGET } : undefined,
  };
}
