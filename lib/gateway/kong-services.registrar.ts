import { serviceTag, type ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { KongAdminClient } from './kong-admin.client.js';
import { addTarget, definedFields, segment, upsertPluginsByName, type KongRegistrar } from './kong-registrar.js';

interface KongPlugin {
  id: string;
  name: string;
  route?: unknown;
  consumer?: unknown;
  tags?: string[] | null;
}

/**
 * Kong 1.0 and later: idempotent upserts. `PUT /services/{name}` then `PUT /routes/{name}`, each
 * replacing the whole entity, tagged so that decK can leave them alone; plugins upserted by name.
 */
export class KongServicesRegistrar implements KongRegistrar {
  readonly mode = 'services';

  /** `withTags`: Kong 1.1 and later know tags. */
  constructor(private readonly withTags: boolean) {}

  async register(client: KongAdminClient, options: ResolvedGatewayOptions): Promise<void> {
    const tags = this.withTags ? options.tags : undefined;
    const upstream = options.target?.upstream;
    const { target } = options;
    if (target) await addTarget(target, () => this.registerTarget(client, target, tags));
    const { body: service } = await client.call<{ id: string }>('PUT', `/services/${segment(options.name)}`, definedFields({
      name: options.name,
      protocol: options.protocol,
      host: upstream ?? options.host,
      port: options.port,
      retries: options.retries,
      connect_timeout: options.connectTimeout,
      read_timeout: options.readTimeout,
      write_timeout: options.writeTimeout,
      tags,
    }));
    await client.call('PUT', `/routes/${segment(options.name)}`, definedFields({
      name: options.name,
      paths: options.paths,
      hosts: options.hosts,
      methods: options.methods,
      protocols: ['http', 'https'],
      strip_path: options.stripPath,
      preserve_host: options.preserveHost,
      // By id, which every Kong since 1.0 takes (references by name came later).
      service: { id: service.id },
      tags,
    }));
    await this.upsertPlugins(client, options, service.id, tags);
  }

  /**
   * The upstream is created when missing but never replaced: its health checks and balancing belong
   * to whoever configured it. A target that is there already (409) counts, with its weight updated.
   */
  private async registerTarget(client: KongAdminClient, target: NonNullable<ResolvedGatewayOptions['target']>, tags?: string[]): Promise<void> {
    const upstreamPath = `/upstreams/${segment(target.upstream)}`;
    const found = await client.call<{ tags?: string[] | null }>('GET', upstreamPath, undefined, [404]);
    if (found.status === 404) {
      await client.call('PUT', upstreamPath, definedFields({ name: target.upstream, tags }));
    } else if (tags && !tags.every((tag) => found.body.tags?.includes(tag))) {
      await client.call('PATCH', upstreamPath, { tags: [...new Set([...(found.body.tags ?? []), ...tags])] });
    }
    const added = await client.call('POST', `${upstreamPath}/targets`, definedFields({ target: target.address, weight: target.weight, tags }), [409]);
    if (added.status === 409) {
      // Kong before 2.x cannot update a target in place (404/405): the one there stays.
      await client.call('PATCH', `${upstreamPath}/targets/${segment(target.address)}`, { weight: target.weight }, [404, 405]);
    }
  }

  async removeTarget(client: KongAdminClient, target: NonNullable<ResolvedGatewayOptions['target']>): Promise<void> {
    await client.call('DELETE', `/upstreams/${segment(target.upstream)}/targets/${segment(target.address)}`, undefined, [404]);
  }

  /** Plugins upserted by name; those this module tagged for the service and no longer lists, removed. */
  private async upsertPlugins(client: KongAdminClient, options: ResolvedGatewayOptions, serviceId: string, tags?: string[]): Promise<void> {
    const servicePlugins = `/services/${segment(options.name)}/plugins`;
    const bodyOf = (plugin: ResolvedGatewayOptions['plugins'][number]) =>
      definedFields({ name: plugin.name, config: plugin.config, enabled: plugin.enabled, tags });
    const before = await upsertPluginsByName(
      options.plugins,
      async () =>
        (await client.call<{ data: KongPlugin[] }>('GET', servicePlugins)).body.data.filter((plugin) => !plugin.route && !plugin.consumer),
      async (plugin) => ((await client.call('POST', servicePlugins, bodyOf(plugin), [409])).status === 409 ? 'conflict' : 'created'),
      (existing, plugin) => client.call('PUT', `/plugins/${segment(existing.id)}`, { ...bodyOf(plugin), service: { id: serviceId } }),
    );
    if (!this.withTags) return;
    const wanted = new Set(options.plugins.map((plugin) => plugin.name));
    for (const plugin of before) {
      if (!wanted.has(plugin.name) && plugin.tags?.includes(serviceTag(options.name))) {
        await client.call('DELETE', `/plugins/${segment(plugin.id)}`, undefined, [404]);
      }
    }
  }
}
