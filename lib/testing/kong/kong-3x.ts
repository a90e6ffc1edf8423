import { isUuid, methodNotAllowed, notFound, nowSeconds, reply, route, uuid, type JsonObject, type KongReply, type KongRoute } from './kong-http.js';

/**
 * Kong 3.x's admin API for services, routes, upstreams, targets and plugins, as its sources
 * behave: PUT upserts and replaces the whole entity (200), POST creates (201), DELETE answers 204,
 * errors carry `code`, `name`, `message` and `fields` (kong/db/errors.lua).
 */
export class Kong3State {
  readonly services = new Map<string, JsonObject>();
  readonly routes = new Map<string, JsonObject>();
  readonly upstreams = new Map<string, JsonObject>();
  readonly targets = new Map<string, JsonObject>();
  readonly plugins = new Map<string, JsonObject>();

  constructor(private readonly enabledPlugins: readonly string[]) {}

  routeTable(): KongRoute[] {
    const crud = (collection: string, map: Map<string, JsonObject>, build: Builder) => [
      route('GET', `/${collection}`, () => reply(200, { data: [...map.values()], next: null })),
      route('POST', `/${collection}`, ({ body }) => this.create(map, build, body)),
      route('GET', `/${collection}/{}`, ({ params }) => found(this.find(map, params[0]!))),
      route('PUT', `/${collection}/{}`, ({ params, body }) => this.upsert(map, build, params[0]!, body)),
      route('PATCH', `/${collection}/{}`, ({ params, body }) => this.patch(map, build, params[0]!, body)),
      route('DELETE', `/${collection}/{}`, ({ params }) => this.remove(map, params[0]!)),
    ];
    return [
      ...crud('services', this.services, this.buildService),
      ...crud('routes', this.routes, this.buildRoute),
      ...crud('upstreams', this.upstreams, this.buildUpstream),
      ...crud('plugins', this.plugins, this.buildPlugin),
      route('GET', '/services/{}/routes', ({ params }) => this.children(this.services, params[0]!, this.routes, 'service')),
      route('GET', '/services/{}/plugins', ({ params }) => this.children(this.services, params[0]!, this.plugins, 'service')),
      route('POST', '/services/{}/plugins', ({ params, body }) => {
        const service = this.find(this.services, params[0]!);
        return service ? this.create(this.plugins, this.buildPlugin, { ...body, service: { id: service.id } }) : notFound();
      }),
      route('GET', '/upstreams/{}/targets', ({ params }) => this.children(this.upstreams, params[0]!, this.targets, 'upstream')),
      route('POST', '/upstreams/{}/targets', ({ params, body }) => {
        const upstream = this.find(this.upstreams, params[0]!);
        return upstream ? this.create(this.targets, this.buildTarget, { ...body, upstream: { id: upstream.id } }) : notFound();
      }),
      route('PATCH', '/upstreams/{}/targets/{}', ({ params, body }) => {
        const target = this.findTarget(params[0]!, params[1]!);
        if (!target) return notFound();
        const { id, created_at, ...fields } = target;
        return this.save(this.targets, this.buildTarget.call(this, { ...fields, ...body }, { id: id as string, created_at: created_at as number }), 200);
      }),
      route('DELETE', '/upstreams/{}/targets/{}', ({ params }) => {
        const target = this.findTarget(params[0]!, params[1]!);
        if (!target) return notFound();
        this.targets.delete(target.id as string);
        return reply(204);
      }),
      ...['PUT', 'PATCH', 'DELETE'].flatMap((method) =>
        ['services', 'routes', 'upstreams', 'plugins'].map((collection) => route(method, `/${collection}`, methodNotAllowed)),
      ),
    ];
  }

  /** Targets of an upstream, by upstream name. */
  targetsOf(upstreamName: string): JsonObject[] {
    const upstream = this.find(this.upstreams, upstreamName);
    return [...this.targets.values()].filter((t) => (t.upstream as JsonObject).id === upstream?.id);
  }

  private create(map: Map<string, JsonObject>, build: Builder, body: JsonObject): KongReply {
    const built = build.call(this, body, { id: uuid(), created_at: nowSeconds() });
    return this.save(map, built, 201);
  }

  /** Stores a built entity unless it is invalid or takes a unique value of another. */
  private save(map: Map<string, JsonObject>, built: Built, status: number): KongReply {
    if ('error' in built) return built.error;
    const conflict = this.uniqueViolation(map, built.entity);
    if (conflict) return conflict;
    map.set(built.entity.id as string, built.entity);
    return reply(status, built.entity);
  }

  private upsert(map: Map<string, JsonObject>, build: Builder, key: string, body: JsonObject): KongReply {
    const existing = this.find(map, key);
    if (!existing && map === this.plugins && !isUuid(key)) {
      return reply(400, { code: 1, name: 'invalid primary key', message: `invalid primary key: '{id="${key}"}'`, fields: { id: 'expected a valid UUID' } });
    }
    // The URL's name wins over the body's (check_upsert).
    const named = isUuid(key) ? body : { ...body, name: key };
    const meta = { id: (existing?.id as string | undefined) ?? (isUuid(key) ? key : uuid()), created_at: (existing?.created_at as number | undefined) ?? nowSeconds() };
    return this.save(map, build.call(this, named, meta), 200);
  }

  private patch(map: Map<string, JsonObject>, build: Builder, key: string, body: JsonObject): KongReply {
    const existing = this.find(map, key);
    if (!existing) return notFound();
    const { id, created_at, updated_at, ...fields } = existing;
    void updated_at;
    return this.save(map, build.call(this, { ...fields, ...body }, { id: id as string, created_at: created_at as number }), 200);
  }

  private remove(map: Map<string, JsonObject>, key: string): KongReply {
    const existing = this.find(map, key);
    if (existing && map === this.services && [...this.routes.values()].some((r) => (r.service as JsonObject | null)?.id === existing.id)) {
      return reply(400, { code: 19, name: 'referenced by others', message: "an existing 'routes' entity references this 'services' entity" });
    }
    if (existing) map.delete(existing.id as string);
    return reply(204);
  }

  private children(parents: Map<string, JsonObject>, key: string, map: Map<string, JsonObject>, field: string): KongReply {
    const parent = this.find(parents, key);
    if (!parent) return notFound();
    return reply(200, { data: [...map.values()].filter((e) => (e[field] as JsonObject | null)?.id === parent.id), next: null });
  }

  private find(map: Map<string, JsonObject>, key: string): JsonObject | undefined {
    return map.get(key) ?? [...map.values()].find((entity) => entity.name === key);
  }

  private findTarget(upstreamKey: string, key: string): JsonObject | undefined {
    return this.targetsOf(String(this.find(this.upstreams, upstreamKey)?.name ?? '')).find((t) => t.id === key || t.target === key);
  }

  private uniqueViolation(map: Map<string, JsonObject>, entity: JsonObject): KongReply | undefined {
    const others = [...map.values()].filter((other) => other.id !== entity.id);
    let fields: JsonObject | undefined;
    if (map === this.plugins) {
      const key = (p: JsonObject) => JSON.stringify([p.name, p.service, p.route, p.consumer]);
      if (others.some((other) => key(other) === key(entity))) {
        fields = { consumer: entity.consumer, name: entity.name, route: entity.route, service: entity.service };
      }
    } else if (map === this.targets) {
      if (others.some((o) => o.target === entity.target && JSON.stringify(o.upstream) === JSON.stringify(entity.upstream))) {
        fields = { target: entity.target, upstream: entity.upstream };
      }
    } else if (entity.name !== null && others.some((other) => other.name === entity.name)) {
      fields = { name: entity.name };
    }
    if (!fields) return undefined;
    const shown = Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v === null || v === undefined ? 'null' : typeof v === 'object' ? `{id="${(v as JsonObject).id}"}` : `"${v}"`}`).join(',');
    return reply(409, { code: 5, name: 'unique constraint violation', message: `UNIQUE violation detected on '{${shown}}'`, fields });
  }

  private buildService(body: JsonObject, meta: Meta): Built {
    const given = { ...body };
    if (typeof given.url === 'string') {
      const url = new URL(given.url);
      given.protocol = url.protocol.slice(0, -1);
      given.host = url.hostname;
      given.port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      given.path = url.pathname === '/' ? null : url.pathname;
      delete given.url;
    }
    const errors = checkFields(given, {
      name: nameField, protocol: (v) => (['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp'].includes(v as string) ? null : 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss'),
      host: (v) => (typeof v === 'string' && v !== '' ? null : 'expected a string'), port: integerBetween(0, 65535),
      path: (v) => (typeof v === 'string' && v.startsWith('/') ? null : 'should start with: /'), retries: integerBetween(0, 32767),
      connect_timeout: integerBetween(1, 2147483646), write_timeout: integerBetween(1, 2147483646), read_timeout: integerBetween(1, 2147483646),
      tags: tagsField, enabled: booleanField, tls_verify: booleanField, tls_verify_depth: integerBetween(0, 64), client_certificate: anyField, ca_certificates: anyField,
    }, ['host']);
    if (errors) return { error: errors };
    return { entity: {
      id: meta.id, created_at: meta.created_at, updated_at: nowSeconds(), name: null, protocol: 'http', host: null, port: 80, path: null,
      retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tags: null, enabled: true,
      client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null, ...given,
    } };
  }

  private buildRoute(body: JsonObject, meta: Meta): Built {
    const list = (check: (v: string) => string | null) => (v: unknown) =>
      Array.isArray(v) && v.every((e) => typeof e === 'string') ? v.map(check).find(Boolean) ?? null : 'expected an array';
    const errors = checkFields(body, {
      name: nameField, protocols: list((p) => (['http', 'https', 'grpc', 'grpcs'].includes(p) ? null : `expected one of: grpc, grpcs, http, https`)),
      methods: list((m) => (/^[A-Z]+$/.test(m) ? null : 'invalid value')), hosts: list(() => null),
      paths: list((p) => (/^[/~]/.test(p) ? null : 'should start with: / (fixed path) or ~/ (regex path)')),
      headers: anyField, snis: anyField, sources: anyField, destinations: anyField,
      strip_path: booleanField, preserve_host: booleanField, regex_priority: integerBetween(-2147483648, 2147483647),
      https_redirect_status_code: anyField, path_handling: anyField, request_buffering: booleanField, response_buffering: booleanField,
      service: (v) => (v === null || (typeof v === 'object' && !Array.isArray(v)) ? null : 'expected a record'), tags: tagsField,
    }, []);
    if (errors) return { error: errors };
    const has = (field: string) => Array.isArray(body[field]) && (body[field] as unknown[]).length > 0;
    if (!['methods', 'hosts', 'headers', 'paths'].some(has)) {
      return { error: schemaViolation({ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] }) };
    }
    let service: JsonObject | null = null;
    const reference = body.service as JsonObject | null | undefined;
    if (reference && typeof reference.id === 'string') {
      if (!this.services.has(reference.id)) {
        return { error: reply(400, { code: 4, name: 'foreign key violation', message: `the foreign key '{id="${reference.id}"}' does not reference an existing 'services' entity.`, fields: { service: { id: reference.id } } }) };
      }
      service = { id: reference.id };
    } else if (reference && typeof reference.name === 'string') {
      const byName = this.find(this.services, reference.name);
      if (!byName) {
        const problem = `the foreign key cannot be resolved with '{name="${reference.name}"}' for an existing 'services' entity`;
        return { error: reply(400, { code: 13, name: 'foreign keys unresolved', message: `foreign key unresolved (service.name: ${problem})`, fields: { service: { name: problem } } }) };
      }
      service = { id: byName.id };
    }
    return { entity: {
      id: meta.id, created_at: meta.created_at, updated_at: nowSeconds(), name: null, protocols: ['http', 'https'], methods: null, hosts: null,
      paths: null, headers: null, snis: null, sources: null, destinations: null, strip_path: true, preserve_host: false, regex_priority: 0,
      https_redirect_status_code: 426, path_handling: 'v0', request_buffering: true, response_buffering: true, tags: null, ...body, service,
    } };
  }

  private buildUpstream(body: JsonObject, meta: Meta): Built {
    const errors = checkFields(body, {
      name: (v) => (typeof v === 'string' && /^[A-Za-z0-9.-]+$/.test(v) ? null : 'Invalid name; must be a valid hostname'),
      algorithm: anyField, slots: integerBetween(10, 65536), hash_on: anyField, hash_fallback: anyField, healthchecks: anyField, tags: tagsField,
      host_header: anyField, client_certificate: anyField, use_srv_name: booleanField,
    }, ['name']);
    if (errors) return { error: errors };
    return { entity: { id: meta.id, created_at: meta.created_at, name: null, algorithm: 'round-robin', slots: 10000, hash_on: 'none', hash_fallback: 'none', tags: null, ...body } };
  }

  private buildTarget(body: JsonObject, meta: Meta): Built {
    const errors = checkFields(body, {
      target: (v) => (typeof v === 'string' && v !== '' ? null : 'expected a string'), weight: integerBetween(0, 65535), tags: tagsField, upstream: anyField,
    }, ['target']);
    if (errors) return { error: errors };
    const target = /:\d+$/.test(body.target as string) ? body.target : `${body.target}:8000`;
    return { entity: { id: meta.id, created_at: meta.created_at, weight: 100, tags: null, ...body, target } };
  }

  private buildPlugin(body: JsonObject, meta: Meta): Built {
    const errors = checkFields(body, {
      name: (v) => (typeof v !== 'string' ? 'expected a string' : this.enabledPlugins.includes(v) ? null : `plugin '${v}' not enabled; add it to the 'plugins' configuration property`),
      config: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'expected a record'), enabled: booleanField, tags: tagsField,
      service: anyField, route: anyField, consumer: anyField, protocols: anyField, instance_name: anyField,
    }, ['name']);
    if (errors) return { error: errors };
    let service: JsonObject | null = null;
    const reference = body.service as JsonObject | null | undefined;
    if (reference) {
      const found = this.find(this.services, String(reference.id ?? reference.name));
      if (!found) return { error: reply(400, { code: 4, name: 'foreign key violation', message: "the foreign key does not reference an existing 'services' entity.", fields: { service: reference } }) };
      service = { id: found.id };
    }
    return { entity: {
      id: meta.id, created_at: meta.created_at, name: body.name, config: body.config ?? {}, enabled: true, protocols: ['grpc', 'grpcs', 'http', 'https'],
      tags: null, route: null, consumer: null, ...body, service,
    } };
  }
}

type Meta = { id: string; created_at: number };
type Built = { entity: JsonObject } | { error: KongReply };
type Builder = (this: Kong3State, body: JsonObject, meta: Meta) => Built;
type FieldCheck = (value: unknown) => string | null;

const found = (entity: JsonObject | undefined): KongReply => (entity ? reply(200, entity) : notFound());
const anyField: FieldCheck = () => null;
const booleanField: FieldCheck = (v) => (typeof v === 'boolean' ? null : 'expected a boolean');
const nameField: FieldCheck = (v) =>
  typeof v === 'string' && /^[A-Za-z0-9._~-]+$/.test(v) ? null : `invalid value '${String(v)}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
const integerBetween = (min: number, max: number): FieldCheck => (v) =>
  !Number.isInteger(v) ? 'expected an integer' : (v as number) < min || (v as number) > max ? `value should be between ${min} and ${max}` : null;
const tagsField: FieldCheck = (v) => {
  if (!Array.isArray(v)) return 'expected a set';
  const bad = v.find((tag) => typeof tag !== 'string' || /[,/]/.test(tag) || /[^\x20-\x7e]/.test(tag));
  return bad === undefined ? null : `invalid tag '${String(bad)}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
};

function schemaViolation(fields: JsonObject): KongReply {
  const entries = Object.entries(fields).sort(([a], [b]) => (a === '@entity' ? -1 : b === '@entity' ? 1 : a.localeCompare(b)));
  const parts = entries.map(([field, problem]) => `${field}: ${Array.isArray(problem) ? problem.join(', ') : String(problem)}`);
  const message = parts.length === 1 ? `schema violation (${parts[0]})` : `${parts.length} schema violations (${parts.join('; ')})`;
  return reply(400, { code: 2, name: 'schema violation', message, fields });
}

/** Kong's schema checks: unknown fields, required fields, and each field's own rule (null clears). */
function checkFields(body: JsonObject, checks: Record<string, FieldCheck>, required: string[]): KongReply | undefined {
  const fields: JsonObject = {};
  for (const [field, value] of Object.entries(body)) {
    if (!(field in checks)) fields[field] = 'unknown field';
    else if (value !== null) {
      const problem = checks[field]!(value);
      if (problem) fields[field] = problem;
    }
  }
  for (const field of required) if (body[field] === undefined || body[field] === null) fields[field] = 'required field missing';
  return Object.keys(fields).length > 0 ? schemaViolation(fields) : undefined;
}
