import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { Auth } from '../auth/auth.js';
import { runInCall } from '../calls/current-call.js';
import { signSystemToken } from '../calls/system-tokens.js';
import { MicrokubesAuthenticator } from '../security/microkubes-authenticator.js';
import { join } from 'node:path';
import { serviceConfigOptions, type ServiceConfigSource } from '../config/service-config-options.js';
import type { MicrokubesModuleOptions } from '../microkubes-options.interface.js';
import { MicrokubesModule } from '../microkubes.module.js';
import { SAML_SERVICE_PROVIDER } from '../microkubes.constants.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { platformKeys, platformKeysDir, type PlatformKeys, type PlatformKeysDir } from './platform-keys.js';
import { authServerToken, badTokens, jwtIssuerToken, signClaims, systemToken, type OAuth2Grant, type PlatformUser } from './platform-tokens.js';
import { TestIdentityProvider } from './saml-identity-provider.js';

/** A caller for a kit's tokens: the platform's user fields, every one optional, plus its scopes and any claim. */
export interface TestCaller extends Partial<PlatformUser> {
  /** The `scopes` claim, as jwt-issuer writes what the user asked for. Default `api:read`. */
  scopes?: string;
  /** Claims laid over the issuer's, e.g. `{ exp: 1 }` or `{ email: 'a@b.c' }`. */
  claims?: Record<string, unknown>;
}

/** A token a service must refuse, and what is wrong with it. */
export interface RefusedToken {
  name: string;
  token: string;
}

/** The caller of a kit's tokens when a test names none. */
export const TEST_USER: Readonly<PlatformUser> = { userId: 'user-1', username: 'user@example.com', roles: ['user'] };

/** Where a module of the kit may reach out; by default nowhere. */
export interface TestingNetwork {
  /** Keep a service config's Kong registration (point `API_GATEWAY_URL` or `gateway.adminUrl` at a KongAdminEmulator). Default false. */
  gateway?: boolean;
  /** Keep a service config's SAML SP registration with its IdP. Default false. */
  samlRegistration?: boolean;
}

/**
 * Everything a test of a service needs to run the module for real, offline: throwaway platform
 * keys in a temporary directory (laid out as `/run/secrets`), MicrokubesModule configured with
 * them (every guard, role, grant, policy and the firewall real; no Kong, no IdP, no key watching),
 * and tokens minted exactly as the platform's issuers mint them, good and bad.
 *
 * ```ts
 * const kit = MicrokubesTestingKit.create();
 * const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [AdminController] }).compile();
 * const app = await moduleRef.createNestApplication().listen(0);
 * await fetch(`${url}/admin`, kit.bearer({ roles: ['admin'] }));   // 200
 * kit.remove();
 * ```
 */
export class MicrokubesTestingKit {
  private constructor(readonly keys: PlatformKeysDir) {}

  /** A kit with keys of its own (or `keys` made before, shared by several kits). */
  static create(keys: PlatformKeys = platformKeys()): MicrokubesTestingKit {
    return new MicrokubesTestingKit(platformKeysDir(keys));
  }

  /** The keys directory, for options of your own (`keysDir`). */
  get keysDir(): string {
    return this.keys.dir;
  }

  /** MicrokubesModule's options on the kit's keys, with `options` laid over them (`acl`, `security`...). */
  options(options: MicrokubesModuleOptions = {}): MicrokubesModuleOptions {
    return { keysDir: this.keys.dir, watchKeys: false, ...options };
  }

  /** `MicrokubesModule.forRoot()` on the kit's keys. */
  module(options: MicrokubesModuleOptions & { isGlobal?: boolean } = {}): DynamicModule {
    return MicrokubesModule.forRoot(this.options(options));
  }

  /**
   * `MicrokubesModule.forServiceConfig()` on the kit's keys: the file's strategies, public routes,
   * policies and version as they are, its keys directory (and SAML key files) replaced by the
   * kit's, and, unless `network` asks for them, no Kong registration and no SAML SP registration.
   */
  serviceConfig(source: string | ServiceConfigSource = {}, network: TestingNetwork = {}): DynamicModule {
    return MicrokubesModule.forRootAsync({
      useFactory: () => {
        const options = serviceConfigOptions(source);
        options.keysDir = this.keys.dir;
        options.watchKeys = false;
        if (options.keys) {
          // A config's saml keyFile and certFile, as key-store entries: the kit's pair instead.
          options.keys = Object.fromEntries(Object.keys(options.keys).map((name) => [name, join(this.keys.dir, name.endsWith('.cert') ? 'service.cert' : 'service.key')]));
        }
        if (!network.gateway) delete options.gateway;
        const saml = options.security?.saml as { registrationUrl?: string } | undefined;
        if (saml && !network.samlRegistration) delete saml.registrationUrl;
        return options;
      },
    });
  }

  /** A jwt-issuer sign-in token (RS512, 24 h) of `caller` (default TEST_USER). */
  token(caller: TestCaller = {}): string {
    return jwtIssuerToken(this.keys.default.privateKey, user(caller), caller.scopes, caller.claims);
  }

  /** `{ headers: { authorization: 'Bearer <token>' } }`, for fetch. */
  bearer(caller: TestCaller = {}): { headers: { authorization: string } } {
    return { headers: { authorization: this.authorization(caller) } };
  }

  /** `Bearer <token>`, for an Authorization header (supertest's `.set('Authorization', ...)`). */
  authorization(caller: TestCaller = {}): string {
    return `Bearer ${this.token(caller)}`;
  }

  /** jwt-issuer's internal 30-second token, signed with the `system` key. */
  systemToken(claims: Record<string, unknown> = {}): string {
    return systemToken(this.keys.system.privateKey, claims);
  }

  /**
   * A system token as another service's `ServiceCalls` (and the platform's Go services) sign it:
   * RS256 with the kit's `system` key, `iss`/`sub` the calling service's name, 30 seconds. For
   * testing a handler that other services call with `mode: 'system'`.
   */
  serviceSystemToken(serviceName = 'test-service', lifetimeSeconds = 30): string {
    return signSystemToken(this.keys.system.privateKey, serviceName, Math.floor(Date.now() / 1000) + lifetimeSeconds);
  }

  /**
   * Runs `work` as the handling of a call by `caller` (a token, or a caller to mint one for) in
   * `app`: the token is verified by the app's own security chain, and `ServiceCalls` in `relay`
   * mode then forwards it, as it would inside a guarded handler. Rejects if the app refuses the
   * token. For testing the calls a service makes without an incoming request.
   */
  async asCaller<T>(app: INestApplicationContext, caller: TestCaller | string, work: () => T | Promise<T>, requestId = 'test-request'): Promise<T> {
    const token = typeof caller === 'string' ? caller : this.token(caller);
    const result = await app.get(MicrokubesAuthenticator).verify({ headers: { authorization: `Bearer ${token}` }, from: 'kit.asCaller' });
    if (!(result instanceof Auth)) throw new Error(`kit.asCaller: the app refuses the token: ${result.message}`);
    return runInCall({ auth: result, requestId }, work);
  }

  /** An authorization-server access token (RS256, 30 days, `sub` the client id). */
  oauth2Token(grant: Partial<OAuth2Grant> = {}, claims: Record<string, unknown> = {}): string {
    return authServerToken(this.keys.authServer.privateKey, { clientId: 'test-client', ...TEST_USER, ...grant }, claims);
  }

  /** `{ authorization: 'Bearer <token>' }`: graphql-ws' `connectionParams` (`createClient({ url, connectionParams })`). */
  connectionParams(caller: TestCaller = {}): { authorization: string } {
    return { authorization: this.authorization(caller) };
  }

  /** `{ token }`: socket.io's handshake `auth` (`io(url, { auth: kit.socketAuth() })`). */
  socketAuth(caller: TestCaller = {}): { token: string } {
    return { token: this.token(caller) };
  }

  /** A sign-in token that expires `seconds` from now: to see a connection closed at its `exp`. */
  expiringToken(seconds: number, caller: TestCaller = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return this.token({ ...caller, claims: { iat: now, exp: now + seconds, ...caller.claims } });
  }

  /**
   * Tokens a service must refuse (expired, not yet valid, tampered, unsigned, signed by an unknown
   * key or by another key than its `kid` names, HMAC with the public key as secret, malformed),
   * each otherwise a sign-in token of `caller`: to run a resolver or a gateway through all of them.
   */
  refusedTokens(caller: TestCaller = {}): RefusedToken[] {
    const valid = this.token(caller);
    const [header, payload] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    return [
      { name: 'expired', token: this.expiredToken(caller) },
      { name: 'not yet valid', token: this.notYetValidToken(caller) },
      { name: 'tampered', token: this.tamperedToken(caller) },
      { name: 'unsigned (alg none)', token: this.unsignedToken(caller) },
      { name: 'signed by an unknown key', token: this.foreignToken(caller) },
      { name: 'signed by another key than its kid names', token: signClaims(this.keys.default.privateKey, claims, { algorithm: 'RS512', keyid: 'system' }) },
      { name: 'HS256 with the public key as secret', token: signClaims(this.keys.default.publicPem, claims, { algorithm: 'HS256' }) },
      { name: 'malformed: two segments', token: `${header}.${payload}` },
      { name: 'malformed: not base64url', token: '!!!.@@@.###' },
    ];
  }

  /** Tokens a service must refuse, each otherwise a sign-in token of `caller`. */
  expiredToken(caller: TestCaller = {}): string {
    return badTokens.expired(this.keys.default.privateKey, user(caller));
  }

  notYetValidToken(caller: TestCaller = {}): string {
    return badTokens.notYetValid(this.keys.default.privateKey, user(caller));
  }

  /** Signed by a key the service does not know. */
  foreignToken(caller: TestCaller = {}): string {
    return badTokens.foreign(user(caller));
  }

  /** Signed, then its payload changed (roles made `admin`). */
  tamperedToken(caller: TestCaller = {}): string {
    return badTokens.tampered(this.keys.default.privateKey, user(caller));
  }

  /** `alg: none`. */
  unsignedToken(caller: TestCaller = {}): string {
    return badTokens.unsigned(user(caller));
  }

  /**
   * A SAML session cookie (`name=value`) of a running app, for its browser routes: what its ACS
   * would set after a login of `caller` at the IdP. The app must have `security.saml` on.
   */
  samlSessionCookie(app: INestApplicationContext, caller: Partial<PlatformUser> = {}, lifetimeSeconds = 3600): string {
    const sp = app.get<SamlServiceProvider | null>(SAML_SERVICE_PROVIDER, { strict: false });
    if (!sp) throw new Error('samlSessionCookie(): the app has no SAML service provider (security.saml)');
    const { userId, username, roles = ['user'] } = user(caller);
    const issuedAt = Math.floor(Date.now() / 1000);
    const sealed = sp.sessions.seal({ userId, username, roles, iss: sp.options.idpEntityId, iat: issuedAt, exp: issuedAt + lifetimeSeconds });
    return `${sp.options.session.cookieName}=${sealed}`;
  }

  /** The platform's IdP, in process, signing with the kit's SAML pair (which its SP trusts by default). */
  identityProvider(entityId: string, algorithm: 'sha1' | 'sha256' = 'sha1'): TestIdentityProvider {
    return new TestIdentityProvider({ entityId, keys: this.keys.saml, algorithm });
  }

  /** Deletes the keys directory. */
  remove(): void {
    this.keys.remove();
  }
}

function user(caller: TestCaller | Partial<PlatformUser>): PlatformUser {
  const { userId, username, roles, organizations, namespaces } = { ...TEST_USER, ...caller };
  return { userId, username, roles, organizations, namespaces };
}
