/** Algorithms a token may be signed with. `none` is never accepted. */
export type JwtAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'HS256' | 'HS384' | 'HS512';

/** How the JWT strategy (`microkubes-jwt`) finds and verifies a token. */
export interface JwtSecurityOptions {
  /** Request header that carries the token. Default `authorization`. */
  header?: string;
  /**
   * Scheme in front of the token, compared case-insensitively. Default `Bearer`.
   * `null` takes the whole header value as the token.
   */
  scheme?: string | null;
  /**
   * Accepted algorithms. Default: RS256/384/512, PS256/384/512, ES256/384/512, plus HS256/384/512
   * when `hmacSecret` is set. Each is used only with a key of its own type.
   */
  algorithms?: JwtAlgorithm[];
  /** Shared secret for HS* tokens. Without it HS* tokens are refused. At least 32 bytes. */
  hmacSecret?: string | Buffer;
  /** Seconds of clock skew allowed when checking `exp` and `nbf`. Default 0. */
  clockTolerance?: number;
  /** Accepted `iss` values. Default: any issuer. */
  issuer?: string | string[];
  /** Accepted `aud` values. Default: `aud` is not checked. */
  audience?: string | string[];
  /** Refuse tokens without `exp`. Default true (the platform's issuers always set it). */
  requireExpiration?: boolean;
  /**
   * Where callers get their tokens (jwt-issuer's sign-in, the authorization server's token
   * endpoint): documentation only, named by the OpenAPI document (`microkubes-nestjs/swagger`).
   * From the service config's `security.jwt.tokenUrl` / `security.oauth2.tokenUrl`. Default none.
   */
  tokenUrl?: string;
}

/** The OAuth2 strategy (`microkubes-oauth2`): the platform's access tokens are JWT bearer tokens. */
export interface OAuth2SecurityOptions extends Omit<JwtSecurityOptions, 'issuer'> {
  /**
   * Accepted `iss` values. Default `'Microkubes Authorization Server'`, the platform's
   * authorization server; `null` accepts any issuer. Tokens from these issuers are left to this
   * strategy by the JWT strategy, so that `auth.clientId` is set.
   */
  issuer?: string | string[] | null;
  /** Scopes the token must all carry. Default none. */
  requiredScopes?: string[];
  /**
   * JSON Web Key Set of an authorization server that publishes its keys. When set, OAuth2 tokens
   * are verified against this set (by `kid`) instead of the key store.
   */
  jwksUri?: string;
  /**
   * The authorization server's authorize endpoint: documentation only, the OpenAPI document's
   * OAuth2 flow. From the service config's `security.oauth2.authorizeUrl`. Default none.
   */
  authorizationUrl?: string;
}

/**
 * Where a request id of the SAML service provider is kept between the AuthnRequest and the IdP's
 * Response (InResponseTo). `take` must be atomic: of two concurrent calls for one id, one wins.
 */
export interface SamlRequestIdStore {
  /** Keeps `id` with `value` (the request's instant) for `ttlMs`. */
  save(id: string, value: string, ttlMs: number): Promise<void>;
  /** The value kept for `id`, or null when unknown or expired. */
  get(id: string): Promise<string | null>;
  /** Removes `id` and tells whether it was there: true for exactly one caller. */
  take(id: string): Promise<boolean>;
}

/** A client of the `redis` (v4 or later) or `ioredis` package, already connected. */
export type RedisClient =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** @deprecated The same as RedisClient, which the token revocations take too. */
export type SamlRedisClient = RedisClient;

/** `security.revocation`: where revocations are shared, and what to do while Redis is away. */
export interface RevocationOptions {
  /**
   * A connected client of the `redis` (v4 or later) or `ioredis` package. The module sends its
   * commands on it, and subscribes on a duplicate of it (a subscribed connection takes no other
   * command), which reconnects as the client does.
   */
  redis: RedisClient;
  /** Prefix of the module's keys and of its channel. Default `microkubes:revocation:`. */
  prefix?: string;
  /**
   * Seconds to go on trusting the mirror as it stands while Redis is unreachable (revocations
   * made meanwhile on other replicas are not seen until it is back). Default 0: fail closed,
   * every token is refused (401 `token revocations unavailable`) until the mirror is reloaded.
   */
  trustMirrorFor?: number;
  /**
   * Start-up fails when the mirror cannot be loaded from Redis within `startupTimeout`. Default
   * true; false starts anyway, as if Redis had gone away at start-up, and loads once it can.
   */
  requiredAtStartup?: boolean;
  /** Seconds to wait for Redis at start-up. Default 5. */
  startupTimeout?: number;
  /**
   * Seconds of the longest token lifetime among the issuers the service trusts. A token without
   * `iat` counts as issued at its `exp` minus this, and a subject's revocation is kept this long.
   * Default 2592000 (30 days: the platform's OAuth2 access tokens).
   */
  maxTokenLifetime?: number;
}

/**
 * microkubes-python's SAML config, as its README shows it (python3-saml's settings plus
 * `registration_url`, `privateKeyName` and `certName`). The SP's `x509cert` and `privateKey` come
 * from the key store here, and `strict` and `debug` are always on and off.
 */
export interface SeedSamlConfig {
  strict?: boolean;
  debug?: boolean;
  sp?: { entityId?: string; assertionConsumerService?: { url?: string; binding?: string }; x509cert?: string; privateKey?: string };
  idp?: { entityId?: string; singleSignOnService?: { url?: string; binding?: string }; x509cert?: string };
  security?: { wantAssertionsSigned?: boolean; wantMessagesSigned?: boolean; [setting: string]: unknown };
  registration_url?: string;
  privateKeyName?: string;
  certName?: string;
  /** python3-saml's metadata extras: taken, not used. */
  contactPerson?: unknown;
  organization?: unknown;
}

/** The session cookie that holds the caller's `Auth` after a SAML login. */
export interface SamlSessionOptions {
  /**
   * Cookie name. Default `microkubes_saml_<8 hex digits of the entity id's SHA-256>`, so that the
   * services behind one gateway host keep their sessions apart.
   */
  cookieName?: string;
  /** Seconds a session lasts. Default 3600. */
  maxAge?: number;
  /**
   * Secret(s) the cookie is encrypted and authenticated with (AES-256-GCM), each at least 32 bytes;
   * the first seals new cookies, all of them open cookies (rotation). Default: derived from the
   * SP's private key, which every replica of the service shares.
   */
  secret?: string | string[];
  /** `Secure` attribute. Default: when the ACS URL is https or the request came over https. */
  secure?: boolean;
}

/**
 * The SAML service provider (`microkubes-saml`, on @node-saml/passport-saml): routes under
 * `routePrefix`, a session cookie as a step of the security chain, and registration of the SP's
 * metadata with the Microkubes IdP. Needs the Express adapter.
 */
export interface SamlSecurityOptions {
  /** The SP's entity id (the seed's `sp.entityId`), e.g. `http://todo.example.com/saml/metadata`. */
  entityId: string;
  /** The public URL of this service's ACS route, e.g. `http://todo.example.com/saml/acs`. */
  acsUrl: string;
  /** The IdP's entity id, e.g. `http://idp.example.com/saml/idp/metadata`. */
  idpEntityId: string;
  /** The IdP's single sign-on URL (HTTP-Redirect), e.g. `http://idp.example.com/saml/idp/sso`. */
  idpSsoUrl: string;
  /**
   * The certificate the IdP signs with: a key-store entry name (`idp.cert`), a file path, or a PEM.
   * Default: the key-store entry named by `certName`, the platform's shared `service.cert`
   * (with a start-up warning: name the IdP's certificate explicitly).
   */
  idpCert?: string;
  /** The IdP's SP registration endpoint, e.g. `http://idp.example.com/saml/idp/services`. Default: none. */
  registrationUrl?: string;
  /** Registration at bootstrap: `required` fails start-up when it cannot register (default false: a warning). */
  registration?: { required?: boolean; retry?: GatewayRetryOptions };
  /** The SP's private key in the key store. Default `service.key`. */
  privateKeyName?: string;
  /** The SP's certificate in the key store. Default `service.cert`. */
  certName?: string;
  /** Path under which the module serves metadata, acs, login and logout. Default `/saml`. */
  routePrefix?: string;
  /** Seconds of clock skew allowed on the assertion's time conditions. Default 30. */
  clockSkew?: number;
  /** Require the Response itself to be signed, besides the Assertion. Default true. */
  requireSignedResponse?: boolean;
  /** Where request ids wait for the Response: memory (default), Redis, or a store of your own. */
  requestIdStore?: 'memory' | { redis: RedisClient; prefix?: string } | SamlRequestIdStore;
  /** Seconds a login may take, from AuthnRequest to Response. Default 600. */
  requestIdTtl?: number;
  /** The session cookie. */
  session?: SamlSessionOptions;
  /** Browser requests (GET or HEAD accepting text/html, no token) to secured routes are sent to the IdP. Default true. */
  redirectBrowsers?: boolean;
  /**
   * Take a Response only in the browser that started its login, through a login cookie (against
   * login CSRF). Default true. The cookie is `SameSite=None; Secure` behind https; on plain http it
   * is `Lax`, which reaches the ACS only when the IdP is on the same site (as behind one Kong):
   * turn this off for a cross-site IdP on plain http.
   */
  bindLoginToBrowser?: boolean;
}

/**
 * The request firewall: requests whose path could be read in more than one way are refused with
 * 400 before any guard, route or handler runs. Each rule is on unless its option relaxes it.
 */
export interface RequestFirewallOptions {
  /** Take `%2F` in paths. A parameter then holds a `/` (judged as `%2F`, as one segment). */
  allowEncodedSlash?: boolean;
  /** Take `\` and `%5C`, which WHATWG URL parsers and Windows file systems read as `/`. */
  allowBackslash?: boolean;
  /** Take `%2E`. Encoded dot segments (`%2e%2e`) are still refused unless `allowDotSegments`. */
  allowEncodedPeriod?: boolean;
  /** Take `%25`, the start of double encoding (`%252F` decodes to `%2F`, and again to `/`). */
  allowEncodedPercent?: boolean;
  /** Take `/./` and `/../` segments, which the routers match as text and file systems resolve. */
  allowDotSegments?: boolean;
  /** Take `//`. */
  allowEmptySegments?: boolean;
  /** Take `;` and `%3B`, path parameters to some proxies and servlet containers. */
  allowSemicolon?: boolean;
  /** Take `%00`-`%1F` and `%7F` (NUL, CR, LF...) in paths. */
  allowControlCharacters?: boolean;
}

export interface MicrokubesSecurityOptions {
  /**
   * No authentication at all: MicrokubesAuthGuard lets every request through, ACL policies
   * included (the platform's switch, a service config's `security.disable`). Default false.
   */
  disable?: boolean;
  /** JWT strategy. Default enabled (`{}`); `false` turns it off. */
  jwt?: JwtSecurityOptions | false;
  /** OAuth2 strategy. Default enabled (`{}`); `false` turns it off. */
  oauth2?: OAuth2SecurityOptions | false;
  /**
   * Regular expressions (strings or RegExp) for paths that skip security. Each is matched
   * against the whole request path, without the query string. Default none.
   */
  publicRoutes?: Array<string | RegExp>;
  /** HTTP methods that skip security. Default `['OPTIONS']`. */
  ignoreHttpMethods?: string[];
  /**
   * The request firewall, in front of every route (the module's own included). Default on, every
   * rule; `false` turns it off (with a start-up warning).
   */
  firewall?: RequestFirewallOptions | false;
  /**
   * The longest request path (without the query) the module judges, 1 to 65536. The firewall
   * answers 414 to longer ones; without the firewall, longer paths are never public and ACL
   * policies deny them. Default 2048.
   */
  maxPathLength?: number;
  /** Apply `MicrokubesAuthGuard` to every route of the application. Default false. */
  globalGuard?: boolean;
  /** The realm named in `WWW-Authenticate` challenges. Default `microkubes`. */
  realm?: string;
  /**
   * Verified tokens kept (LRU, by the whole token string) so that a token seen again skips the
   * signature check; expiry is checked on every hit, and it is flushed when the keys change.
   * Default `{ size: 10000 }`; `false` turns it off.
   */
  tokenCache?: { size?: number } | false;
  /**
   * Tokens revoked before their `exp` (`TokenRevocations`), shared by every replica through Redis
   * and mirrored in each one's memory. Default off.
   */
  revocation?: RevocationOptions | false;
  /**
   * The SAML service provider; its session cookie is the last step of the chain. Default off.
   * microkubes-python's SAML config (`sp`, `idp`, `security`, `registration_url`, ...) is
   * taken as well.
   */
  saml?: SamlSecurityOptions | SeedSamlConfig;
}

/** A Kong plugin provisioned on the service, e.g. `{ name: 'rate-limiting', config: { minute: 100 } }`. */
export interface KongPluginOptions {
  name: string;
  config?: Record<string, unknown>;
  /** Default true. */
  enabled?: boolean;
}

/** This instance as one target of a Kong upstream, for services with several replicas. */
export interface KongTargetOptions {
  /** The upstream's name. Default: the service's `host`, which Kong then balances over. */
  upstream?: string;
  /** This instance, `ip:port` or `host:port`. */
  address: string;
  /** Default 100 (Kong's default). */
  weight?: number;
  /**
   * Default true: start-up fails when this instance cannot be added. False: a warning, and the
   * service is registered without it (so a service config's `weight` maps).
   */
  required?: boolean;
}

/** How registration retries while Kong is unreachable, answers 5xx, or times out. */
export interface GatewayRetryOptions {
  /** Attempts per admin API call, the first included. Default 15. */
  attempts?: number;
  /** Milliseconds from the first call after which registration gives up. Default 60000. */
  deadline?: number;
  /** Delay before the first retry, doubled at each one, with full jitter. Default 250 ms. */
  initialDelay?: number;
  /** Longest delay between two attempts. Default 5000 ms. */
  maxDelay?: number;
  /** Timeout of one admin API call. Default 5000 ms. */
  requestTimeout?: number;
}

/**
 * Self-registration with the Kong API gateway at start-up (microkubes-python's
 * `KongGatewayRegistrator.register`). Start-up fails when registration fails.
 */
export interface MicrokubesGatewayOptions {
  /** Kong's admin URL, a path prefix allowed. Default: the `API_GATEWAY_URL` environment variable. */
  adminUrl?: string;
  /** `auto` (default) asks Kong its version: 0.x gets `/apis`, 1.0 and later services and routes. */
  apiMode?: 'auto' | 'legacy' | 'services';
  /** The service's name in Kong. Required. */
  name: string;
  /** Paths Kong routes to this service. At least one. */
  paths: string[];
  /** The host Kong calls this service on (e.g. `hello-service.service.consul`). Required. */
  host: string;
  /** The port Kong calls this service on, 1-65535. Default 8080. */
  port?: number;
  /** `http` (default) or `https`, towards this service. */
  protocol?: 'http' | 'https';
  /** Request hosts the route matches. Default any. */
  hosts?: string[];
  /** Request methods the route matches. Default any. */
  methods?: string[];
  /** Strip the matched path before proxying. Default false: services see the paths they declare. */
  stripPath?: boolean;
  /** Pass the client's Host header upstream. Default false. */
  preserveHost?: boolean;
  /** Kong's retries towards this service. Default: Kong's (5). */
  retries?: number;
  /** Kong's timeouts towards this service, in ms. Default: Kong's (60000). */
  connectTimeout?: number;
  readTimeout?: number;
  writeTimeout?: number;
  /** Tags added to the module's own (`microkubes`, `microkubes-service:<name>`). Kong >= 1.1. */
  tags?: string[];
  /** Headers for every admin API call, e.g. `{ 'Kong-Admin-Token': '...' }`. */
  headers?: Record<string, string>;
  /** Plugins provisioned on the service, upserted by name. */
  plugins?: KongPluginOptions[];
  /** This instance's target in the service's upstream; removed again at shutdown. */
  target?: KongTargetOptions;
  retry?: GatewayRetryOptions;
}

/** A condition of a platform ACL policy: `{ "type": "RolesCondition", "options": { "values": ["user"] } }`. */
export interface AclPolicyCondition {
  /** `RolesCondition`, `ScopesCondition`, `OrganizationsCondition`, `NamespacesCondition` or `OwnerCondition`. */
  type: string;
  options?: { values?: string[] };
}

/**
 * A platform ACL policy, as the Go library (ladon) writes them. `subjects` are usernames,
 * `resources` request paths, `actions` `api:read` (GET, HEAD) or `api:write` (POST, PUT, PATCH,
 * DELETE); each may hold `<regex>` parts and is matched against the whole value.
 */
export interface AclPolicy {
  id: string;
  description?: string;
  effect: 'allow' | 'deny';
  subjects: string[];
  resources: string[];
  actions: string[];
  /** Keyed by a name of your choosing (`OwnerCondition`: the route parameter holding the owner). */
  conditions?: Record<string, AclPolicyCondition>;
  /** ladon's free-form metadata; not used. */
  meta?: unknown;
}

/** microkubes-python's ACL config (flask-miracle-acl), accepted as grants. */
export interface SeedAclConfig {
  /** resource -> the actions it knows (`create`, `read`, `update`, `delete`). */
  struct?: Record<string, string[]>;
  /** role -> resource -> actions. */
  grants: Record<string, Record<string, string[]>>;
  MACL_DEFFINITION?: { roles?: string[] };
  /** Roles of a caller who has none. */
  MACL_DEFAULT_ROLES?: string[];
}

/**
 * nest-access-control (accesscontrol) grants: `{ role: { resource: { 'read:any': ['*'] } } }` or a
 * list of `{ role, resource, action, attributes }`.
 */
export type AccessControlGrants = Record<string, unknown> | Array<Record<string, unknown>>;

export interface MicrokubesAclOptions {
  /** Grants for `@UseRoles` and `AccessControlGuard`; nest-access-control's format or the seed's. */
  grants?: AccessControlGrants | SeedAclConfig;
  /** Roles given to a caller whose token has none, for the grants. Default none (the seed's `MACL_DEFAULT_ROLES` sets it). */
  defaultRoles?: string[];
  /**
   * Whether `@UseRoles` needs one of the caller's roles granted (`any`, nest-access-control's
   * union, microkubes-python's `macl_check_any`) or every one of them (`all`, `macl_check_all`),
   * where `@GrantsMatch()` does not say. Default `any`.
   */
  grantsMatch?: 'any' | 'all';
  /** Platform ACL policies, compiled once at start-up. */
  policies?: AclPolicy[];
  /**
   * Check the policies on every route MicrokubesAuthGuard secures, after authentication; skip one
   * with `@SkipAcl()`. Default true when `policies` are given.
   */
  enforcePolicies?: boolean;
  /** Apply `RolesGuard` and `AccessControlGuard` to every route (they act on decorated routes only). Default false. */
  globalGuards?: boolean;
  /**
   * The platform's switch (`security.acl.disable` of a service config): true turns the policy check
   * off, `AclGuard` included. Default false.
   */
  disable?: boolean;
}

/**
 * `GET /healthcheck` (microkubes-python's `add_healthcheck`), on @nestjs/terminus: whether the key
 * store holds keys and, when a gateway is configured, whether Kong's admin API answers.
 */
export interface HealthCheckOptions {
  /** Default `/healthcheck`. Served as it is, outside the app's global prefix. */
  path?: string;
  /** Milliseconds Kong's admin API has to answer before it counts as down. Default 3000. */
  gatewayTimeout?: number;
  /**
   * Milliseconds one answer of Kong is reused, so that a flood of health checks never floods
   * Kong: concurrent checks share one call. Default 1000; 0 asks Kong on every check.
   */
  gatewayCacheTtl?: number;
  /** Answer anyone. Default true; false asks for the same credentials as MicrokubesAuthGuard. */
  public?: boolean;
}

/** `GET /version` (microkubes-python's `add_version_endpoint`): `{ "version": "<version>" }`. */
export interface VersionEndpointOptions {
  /** Default `/version`. Served as it is, outside the app's global prefix. */
  path?: string;
}

/**
 * The calls this service makes to other services (`ServiceCalls`): each carries the caller's own
 * token (relay) or a system token the service signs with its `system` key, as the platform's Go
 * services do, and an `x-request-id`.
 */
export interface ServiceCallsOptions {
  /**
   * `iss` and `sub` of the system tokens: the service's name, as the Go services put theirs.
   * Default: `gateway.name`. Needed for system tokens when there is no gateway.
   */
  serviceName?: string;
  /** The private key system tokens are signed with (RS256), by its name in the keys. Default `system`; `false`: relay only. */
  systemKey?: string | false;
  /** Seconds a system token is valid. Default 30, as the platform's. */
  systemTokenLifetime?: number;
  /** A system token is reused until this many seconds before its `exp`, then signed anew. Default 5. */
  systemTokenRenewBefore?: number;
}

export interface MicrokubesModuleOptions {
  /**
   * Directory of keys, named as on the platform: `*.pub` public keys, `*.pem`, `*.key` or no
   * extension private keys, `*.cert`/`*.crt` certificates; other files are ignored.
   * Typically `/run/secrets` or `/run/secrets/microkubes`. Default none.
   */
  keysDir?: string;
  /**
   * Keys by name, as file paths, besides or instead of `keysDir`. The kind of each key (public,
   * private, certificate) comes from its PEM content. Default none.
   */
  keys?: Record<string, string>;
  /** Reload keys when their files change (Kubernetes secret rotation included). Default true. */
  watchKeys?: boolean;
  /** Authentication. Default: JWT and OAuth2 strategies on, nothing public but OPTIONS. */
  security?: MicrokubesSecurityOptions;
  /** Registration with Kong at start-up. Default none: no registration is attempted. */
  gateway?: MicrokubesGatewayOptions;
  /** Access control: `@Roles`, nest-access-control grants, platform ACL policies. */
  acl?: MicrokubesAclOptions;
  /** The service's version (a service config's `version`), served by the version endpoint. */
  version?: string;
  /** The health check route. Default on, at `/healthcheck`; `false` turns it off. */
  healthCheck?: HealthCheckOptions | boolean;
  /**
   * The version route. Default: on, at `/version`, when `version` is set. `true` or an object turns
   * it on, and start-up then fails without a `version`; `false` turns it off.
   */
  versionEndpoint?: VersionEndpointOptions | boolean;
  /**
   * Calls to other services with the caller's token or a system token (`ServiceCalls`). Default
   * off: nothing is kept per call. `true` takes every default (relay, and system tokens signed
   * with the `system` key).
   */
  serviceCalls?: ServiceCallsOptions | boolean;
  /**
   * Metrics and span attributes through `@opentelemetry/api`, an optional peer: recorded when the
   * app has it installed and has registered an OpenTelemetry SDK before the Nest app was created;
   * otherwise nothing is loaded or recorded. Default on; `false` never loads the API.
   */
  telemetry?: TelemetryOptions | boolean;
}

/** `telemetry`: what goes beyond the fixed, low-cardinality metrics and span attributes. */
export interface TelemetryOptions {
  /**
   * Sets `enduser.id` (the caller's user id) on the active span of each authenticated call.
   * Default false: spans carry no personal data unless you choose so. Never on metrics.
   */
  userIdOnSpans?: boolean;
}
