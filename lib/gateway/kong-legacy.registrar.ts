import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { KongAdminClient } from './kong-admin.client.js';
import { addTarget, definedFields, segment, upsertPluginsByName, type KongRegistrar } from './kong-registrar.js';

const KONG_DEFAULT_RETRIES = 5;
const KONG_DEFAULT_TIMEOUT = 60_000;

interface KongApiPlugin {
  id: string;
  name: string;
}

/**
 * Kong 0.x, as the platform ships it (0.14): the `/apis` entity, as microkubes-python and the Go
 * library register. `GET /apis/{name}`, then `POST /apis/` or `PATCH /apis/{name}`; a 409 from an
 * instance that created it meanwhile is resolved by updating.
 */
export class KongLegacyRegistrar implements KongRegistrar {
  readonly mode = 'legacy';

  async register(client: KongAdminClient, options: ResolvedGatewayOptions): Promise<void> {
    const { target } = options;
    const upstream = target?.upstream;
    if (target) {
      await addTarget(target, async () => {
        const found = await client.call('GET', `/upstreams/${segment(target.upstream)}`, undefined, [404]);
        if (found.status === 404) await client.call('POST', '/upstreams/', { name: target.upstream }, [409]);
        await client.call('POST', `/upstreams/${segment(target.upstream)}/targets`, { target: target.address, weight: target.weight }, [409]);
      });
    }
    const api = definedFields({
      name: options.name,
      uris: options.paths.join(','),
      hosts: options.hosts?.join(','),
      methods: options.methods?.join(','),
      upstream_url: `${options.protocol}://${upstream ?? options.host}:${options.port}`,
      strip_uri: options.stripPath,
      preserve_host: options.preserveHost,
      // Sent even when not set (as Kong's defaults), so that PATCH does not keep an old value.
      retries: options.retries ?? KONG_DEFAULT_RETRIES,
      upstream_connect_timeout: options.connectTimeout ?? KONG_DEFAULT_TIMEOUT,
      upstream_read_timeout: options.readTimeout ?? KONG_DEFAULT_TIMEOUT,
      upstream_send_timeout: options.writeTimeout ?? KONG_DEFAULT_TIMEOUT,
    });
    const apiPath = `/apis/${segment(options.name)}`;
    const found = await client.call('GET', apiPath, undefined, [404]);
    const created = found.status === 404 ? await client.call('POST', '/apis/', api, [409]) : undefined;
    if (created === undefined || created.status === 409) await client.call('PATCH', apiPath, api);
    await this.upsertPlugins(client, options, apiPath);
  }

  async removeTarget(client: KongAdminClient, target: NonNullable<ResolvedGatewayOptions['target']>): Promise<void> {
    await client.call('DELETE', `/upstreams/${segment(target.upstream)}/targets/${segment(target.address)}`, undefined, [404]);
  }

  private async upsertPlugins(client: KongAdminClient, options: ResolvedGatewayOptions, apiPath: string): Promise<void> {
    if (options.plugins.length === 0) return;
    const bodyOf = (plugin: ResolvedGatewayOptions['plugins'][number]) => ({ name: plugin.name, config: plugin.config, enabled: plugin.enabled });
    await upsertPluginsByName(
      options.plugins,
      async () => (await client.call<{ data: KongApiPlugin[] }>('GET', `${apiPath}/plugins`)).body.data,
      async (plugin) => ((await client.call('POST', `${apiPath}/plugins`, bodyOf(plugin), [409])).status === 409 ? 'conflict' : 'created'),
      (existing, plugin) => client.call('PATCH', `${apiPath}/plugins/${segment(existing.id)}`, bodyOf(plugin)),
    );
  }
}
