import { Logger } from '@nestjs/common';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import passport from 'passport';
import type { IncomingHttpHeaders } from 'node:http';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import type { ResolvedSamlOptions } from '../config/resolved-saml-options.js';
import type { KeyStore } from '../keys/key-store.js';
import type { SamlRequestIdStore } from '../microkubes-options.interface.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { MemoryRequestIdStore } from './memory-request-id.store.js';
import { RedisRequestIdStore } from './redis-request-id.store.js';
import { SamlSessionCodec, type SamlSessionPayload } from './saml-session.js';
import { SamlSessionStrategy } from './saml-session.strategy.js';
import { MicrokubesSamlStrategy, SAML_STRATEGY } from './saml.strategy.js';
import { SamlUnavailableError } from './saml-unavailable.error.js';
import { loginCookie } from './session-cookie.js';

const logger = new Logger('MicrokubesSaml');

/** What the SP reads of a request (Express's `secure` honours `trust proxy`). */
export interface SamlHttpRequest {
  method?: string;
  headers: IncomingHttpHeaders;
  secure?: boolean;
}

/**
 * The SAML service provider of one module instance: the `microkubes-saml` strategy on a passport
 * instance of its own, the session cookie's codec, and the chain's session step. Built once at
 * start-up from the key store; null when `security.saml` is not set.
 */
export class SamlServiceProvider {
  private readonly passport = new passport.Authenticator();
  readonly sessionStrategy: SamlSessionStrategy;
  /** Signed once: the same document for every GET and for the registration. */
  readonly metadata: string;

  /** @internal built by the module */
  constructor(
    readonly options: ResolvedSamlOptions,
    readonly strategy: MicrokubesSamlStrategy,
    /** @internal */
    readonly sessions: SamlSessionCodec,
  ) {
    // passport-saml brings its own copy of the express typings.
    this.passport.use(SAML_STRATEGY, strategy as unknown as passport.Strategy);
    this.sessionStrategy = new SamlSessionStrategy(sessions, options.session.cookieName);
    this.metadata = strategy.metadata();
  }

  /** Validates a posted Response: the session it opens, why it is refused, or that the store failed. */
  verifyResponse(request: object, response: object): Promise<SamlSessionPayload | TokenRefusal | SamlUnavailableError> {
    return new Promise((resolve) => {
      const middleware = this.passport.authenticate(SAML_STRATEGY, { session: false }, (error: unknown, user: unknown, info: unknown) => {
        if (error instanceof SamlUnavailableError) return resolve(error);
        if (error) return resolve(samlErrorRefusal(String((error as Error).message ?? error)));
        if (user) return resolve(user as SamlSessionPayload);
        resolve(info instanceof TokenRefusal ? info : new TokenRefusal('SAML Response not accepted'));
      });
      // next() comes only from pass() (a signed LogoutResponse) or a middleware error: no login either way.
      middleware(request, response, (error: unknown) => resolve(error ? samlErrorRefusal(String(error)) : new TokenRefusal('not a login Response', 'malformed')));
    });
  }

  /**
   * Starts a login: the IdP's URL with a new AuthnRequest, and the login cookie that binds it to
   * this browser (none with `bindLoginToBrowser: false`). Rejects with SamlUnavailableError.
   */
  async startLogin(relayState: string, request: SamlHttpRequest): Promise<{ location: string; cookie?: string }> {
    const { url, requestId } = await this.strategy.loginUrl(relayState);
    if (!this.options.bindLoginToBrowser) return { location: url };
    const ttl = Math.round(this.options.requestIdTtlMs / 1000);
    return { location: url, cookie: loginCookie(this.options.loginCookieName, requestId, request.headers.cookie, ttl, this.isSecure(request)) };
  }

  /** Cookies get `Secure` as configured, else when the ACS URL is https or the request came over https. */
  isSecure(request: SamlHttpRequest): boolean {
    return this.options.session.secure ?? (this.options.acsUrl.startsWith('https:') || request.secure === true);
  }

  /** A browser's page request without credentials of its own: sent to the IdP rather than refused. */
  wantsLogin(request: SamlHttpRequest, tokenHeaders: readonly string[]): boolean {
    if (!this.options.redirectBrowsers || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    if (tokenHeaders.some((header) => request.headers[header] !== undefined)) return false;
    return /\btext\/html\b/i.test(request.headers.accept ?? '');
  }
}

export async function buildSamlServiceProvider(options: ResolvedMicrokubesOptions, store: KeyStore): Promise<SamlServiceProvider | null> {
  const saml = options.security.saml;
  if (!saml) return null;
  const privateKey = store.privateKey(saml.privateKeyName);
  if (!privateKey) throw new MicrokubesOptionsError('security.saml.privateKeyName', `no private key "${saml.privateKeyName}" in the key store`);
  const certificate = store.certificate(saml.certName)?.certificate;
  if (!certificate) throw new MicrokubesOptionsError('security.saml.certName', `no certificate "${saml.certName}" in the key store`);
  const strategy = new MicrokubesSamlStrategy(
    saml,
    {
      spPrivateKey: privateKey.key.export({ type: 'pkcs8', format: 'pem' }) as string,
      spCertificate: certificate.toString(),
      idpCertificates: idpCertificates(saml, store),
    },
    requestIdStore(saml),
  );
  const sessions = saml.session.secrets
    ? SamlSessionCodec.fromSecrets(saml.session.secrets, saml.entityId)
    : SamlSessionCodec.fromPrivateKey(privateKey.key, saml.entityId);
  return new SamlServiceProvider(saml, strategy, sessions);
}

/**
 * The IdP's certificate: a key-store entry (followed across reloads), a file, or a PEM. By
 * default the SP's own certificate, as the platform shares one key pair; said at start-up.
 */
function idpCertificates(saml: ResolvedSamlOptions, store: KeyStore): () => string[] {
  const given = saml.idpCert;
  if (given === undefined) {
    logger.warn(
      `security.saml.idpCert is not set: trusting the key store's "${saml.certName}" as the IdP's certificate (the platform's shared key pair); name the IdP's certificate explicitly`,
    );
    return () => [store.certificate(saml.certName)?.certificate?.toString()].filter((pem): pem is string => !!pem);
  }
  if (given.includes('-----BEGIN')) return constant(parsePem(given, 'the PEM given'));
  if (store.certificate(given) || store.publicKey(given)) {
    return () => {
      const entry = store.certificate(given) ?? store.publicKey(given);
      if (!entry) return [];
      return [entry.certificate?.toString() ?? (entry.key.export({ type: 'spki', format: 'pem' }) as string)];
    };
  }
  if (existsSync(given)) return constant(parsePem(readFileSync(given, 'utf8'), `file ${given}`));
  throw new MicrokubesOptionsError('security.saml.idpCert', `"${given}" is neither a key-store entry, nor a file, nor a PEM`);
}

function parsePem(pem: string, what: string): string {
  try {
    if (pem.includes('BEGIN CERTIFICATE')) return new X509Certificate(pem).toString();
    return createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;
  } catch (error) {
    throw new MicrokubesOptionsError('security.saml.idpCert', `${what} holds no certificate or public key: ${(error as Error).message}`);
  }
}

function constant(pem: string): () => string[] {
  const list = [pem];
  return () => list;
}

function requestIdStore(saml: ResolvedSamlOptions): SamlRequestIdStore {
  const store = saml.requestIdStore;
  if (store === 'memory') return new MemoryRequestIdStore();
  if ('redis' in store) return new RedisRequestIdStore(store.redis, store.prefix);
  return store;
}

/** node-saml's refusal of a Response, with its reason read from node-saml's own words. */
function samlErrorRefusal(message: string): TokenRefusal {
  const reason = /signature/i.test(message) ? 'bad_signature'
    : /expired|NotOnOrAfter/i.test(message) ? 'expired'
    : /NotBefore/i.test(message) ? 'not_yet_valid'
    : /audience/i.test(message) ? 'audience'
    : /InResponseTo/i.test(message) ? 'replay'
    : /issuer/i.test(message) ? 'issuer'
    : 'other';
  return new TokenRefusal(message, reason);
}
