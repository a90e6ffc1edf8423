import { methodNotAllowed, notFound, reply, route, uuid, type JsonObject, type KongReply, type KongRoute } from './kong-http.js';

const API_FIELDS = [
  'id', 'created_at', 'name', 'hosts', 'uris', 'methods', 'upstream_url', 'strip_uri', 'preserve_host', 'retries',
  'upstream_connect_timeout', 'upstream_send_timeout', 'upstream_read_timeout', 'https_only', 'http_if_terminated',
];

/**
 * Kong 0.14's admin API for `/apis`, their plugins, upstreams and targets, as its sources behave:
 * errors are flat `{field: message}` maps, list fields accept comma-separated strings and come back
 * as arrays, a taken name answers 409 `{"name":"already exists with value '...'"}`.
 */
export class Kong014State {
  readonly apis = new Map<string, JsonObject>();
  readonly plugins = new Map<string, JsonObject>();
  readonly upstreams = new Map<string, JsonObject>();
  /** Active targets; 0.14 keeps a history, of which the newest entry per target counts. */
  readonly targets = new Map<string, JsonObject>();

  constructor(private readonly enabledPlugins: readonly string[]) {}

  routeTable(): KongRoute[] {
    return [
      route('GET', '/apis', () => reply(200, { data: [...this.apis.values()], total: this.apis.size })),
      route('POST', '/apis', ({ body }) => this.saveApi(body)),
      route('PUT', '/apis', ({ body }) => this.saveApi(body, this.find(this.apis, String(body.id ?? body.name)))),
      route('DELETE', '/apis', methodNotAllowed),
      route('GET', '/apis/{}', ({ params }) => found(this.find(this.apis, params[0]!))),
      route('PATCH', '/apis/{}', ({ params, body }) => {
        const existing = this.find(this.apis, params[0]!);
        return existing ? this.saveApi({ ...existing, ...body }, existing, 200) : notFound();
      }),
      route('DELETE', '/apis/{}', ({ params }) => {
        const existing = this.find(this.apis, params[0]!);
        if (!existing) return notFound();
        this.apis.delete(existing.id as string);
        return reply(204);
      }),
      route('GET', '/apis/{}/plugins', ({ params }) => {
        const api = this.find(this.apis, params[0]!);
        if (!api) return notFound();
        const data = [...this.plugins.values()].filter((p) => p.api_id === api.id);
        return reply(200, { data, total: data.length });
      }),
      route('POST', '/apis/{}/plugins', ({ params, body }) => {
        const api = this.find(this.apis, params[0]!);
        return api ? this.savePlugin(api, body) : notFound();
      }),
      route('PATCH', '/apis/{}/plugins/{}', ({ params, body }) => {
        const api = this.find(this.apis, params[0]!);
        const plugin = this.plugins.get(params[1]!);
        if (!api || !plugin || plugin.api_id !== api.id) return notFound();
        return this.savePlugin(api, { ...plugin, ...body }, plugin);
      }),
      route('GET', '/upstreams', () => reply(200, { data: [...this.upstreams.values()], total: this.upstreams.size })),
      route('POST', '/upstreams', ({ body }) => {
        if (typeof body.name !== 'string' || body.name === '') return reply(400, { name: 'name is required' });
        if (this.find(this.upstreams, body.name)) return reply(409, { name: `already exists with value '${body.name}'` });
        const upstream = { id: uuid(), created_at: Date.now(), name: body.name, slots: 10000, hash_on: 'none' };
        this.upstreams.set(upstream.id, upstream);
        return reply(201, upstream);
      }),
      route('GET', '/upstreams/{}', ({ params }) => found(this.find(this.upstreams, params[0]!))),
      route('GET', '/upstreams/{}/targets', ({ params }) => {
        const upstream = this.find(this.upstreams, params[0]!);
        if (!upstream) return notFound();
        const data = this.targetsOf(upstream.name as string);
        return reply(200, { data, total: data.length });
      }),
      route('POST', '/upstreams/{}/targets', ({ params, body }) => {
        const upstream = this.find(this.upstreams, params[0]!);
        if (!upstream) return notFound();
        if (typeof body.target !== 'string' || body.target === '') return reply(400, { target: 'target is required' });
        const target = /:\d+$/.test(body.target) ? body.target : `${body.target}:8000`;
        const entry = { id: uuid(), created_at: Date.now(), upstream_id: upstream.id, target, weight: body.weight ?? 100 };
        for (const [id, existing] of this.targets) if (existing.upstream_id === upstream.id && existing.target === target) this.targets.delete(id);
        this.targets.set(entry.id, entry);
        return reply(201, entry);
      }),
      route('DELETE', '/upstreams/{}/targets/{}', ({ params }) => {
        const upstream = this.find(this.upstreams, params[0]!);
        const target = upstream && [...this.targets.values()].find((t) => t.upstream_id === upstream.id && (t.id === params[1] || t.target === params[1]));
        if (!target) return notFound();
        this.targets.delete(target.id as string);
        return reply(204);
      }),
    ];
  }

  targetsOf(upstreamName: string): JsonObject[] {
    const upstream = this.find(this.upstreams, upstreamName);
    return [...this.targets.values()].filter((t) => t.upstream_id === upstream?.id);
  }

  private find(map: Map<string, JsonObject>, key: string): JsonObject | undefined {
    return map.get(key) ?? [...map.values()].find((entity) => entity.name === key);
  }

  private saveApi(body: JsonObject, existing?: JsonObject, okStatus = existing ? 200 : 201): KongReply {
    const errors: Record<string, string> = {};
    for (const field of Object.keys(body)) if (!API_FIELDS.includes(field)) errors[field] = `${field} is an unknown field`;
    if (typeof body.name !== 'string' || body.name === '') errors.name = 'name is required';
    else if (!/^[A-Za-z0-9._~-]+$/.test(body.name)) errors.name = "name must only contain alphanumeric and '., -, _, ~' characters";
    if (typeof body.upstream_url !== 'string' || body.upstream_url === '') errors.upstream_url = 'upstream_url is required';
    else if (!/^https?:\/\/[^/\s]+/.test(body.upstream_url)) errors.upstream_url = 'upstream_url is not a url';
    const uris = listField(body.uris);
    const badUri = uris?.find((uri) => !uri.startsWith('/'));
    if (badUri !== undefined) errors.uris = `uri with value '${badUri}' is invalid: must be prefixed with slash`;
    if (Object.keys(errors).length > 0) return reply(400, errors);
    const hosts = listField(body.hosts);
    const methods = listField(body.methods);
    if (!hosts?.length && !uris?.length && !methods?.length) {
      return reply(400, { message: "at least one of 'hosts', 'uris' or 'methods' must be specified" });
    }
    const taken = this.find(this.apis, body.name as string);
    if (taken && taken.id !== existing?.id) return reply(409, { name: `already exists with value '${body.name}'` });
    const api: JsonObject = {
      strip_uri: true, preserve_host: false, retries: 5, upstream_connect_timeout: 60000, upstream_send_timeout: 60000,
      upstream_read_timeout: 60000, https_only: false, http_if_terminated: false, ...body,
      id: existing?.id ?? uuid(), created_at: existing?.created_at ?? Date.now(),
    };
    for (const [field, list] of Object.entries({ hosts, uris: uris?.map((u) => (u.length > 1 ? u.replace(/\/$/, '') : u)), methods })) {
      if (list?.length) api[field] = list;
      else delete api[field];
    }
    this.apis.set(api.id as string, api);
    return reply(okStatus, api);
  }

  private savePlugin(api: JsonObject, body: JsonObject, existing?: JsonObject): KongReply {
    if (typeof body.name !== 'string') return reply(400, { name: 'name is required' });
    if (!this.enabledPlugins.includes(body.name)) return reply(400, { config: `Plugin "${body.name}" not found` });
    const clash = [...this.plugins.values()].find((p) => p.api_id === api.id && p.name === body.name && p.id !== existing?.id);
    if (clash) return reply(409, { name: `already exists with value '${body.name}'` });
    const plugin = { enabled: true, config: {}, ...body, id: existing?.id ?? uuid(), api_id: api.id, created_at: existing?.created_at ?? Date.now() };
    this.plugins.set(plugin.id as string, plugin);
    return reply(existing ? 200 : 201, plugin);
  }
}

const found = (entity: JsonObject | undefined): KongReply => (entity ? reply(200, entity) : notFound());

/** 0.14 takes `"a,b"` or `["a","b"]`; white space around entries is dropped. */
function listField(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return list.map((entry) => entry.trim()).filter((entry) => entry !== '');
}
