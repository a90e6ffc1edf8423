import { ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import { Strategy, type PassportSamlConfig, type VerifyWithRequest } from '@node-saml/passport-saml';
import { PassportStrategy } from '@nestjs/passport';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedSamlOptions } from '../config/resolved-saml-options.js';
import type { SamlRequestIdStore } from '../microkubes-options.interface.js';
import { TokenRefusal } from '../security/token-refusal.js';
import { pendingLogins } from './session-cookie.js';
import { checkAddressedTo, sessionFromProfile } from './saml-profile.js';
import type { SamlSessionPayload } from './saml-session.js';
import { SamlUnavailableError } from './saml-unavailable.error.js';
import { strictResponseXml } from './saml-xml.js';

export const SAML_STRATEGY = 'microkubes-saml';

type SamlRequest = Parameters<Strategy['authenticate']>[0];
type SamlAuthenticateOptions = Parameters<Strategy['authenticate']>[1];

/** The SP's own signing material and the IdP's certificate(s), as PEM. */
export interface SamlKeys {
  spPrivateKey: string;
  spCertificate: string;
  /** Asked at each Response, so that a reloaded key store is followed. */
  idpCertificates: () => string[];
}

/**
 * `microkubes-saml`: @node-saml/passport-saml's strategy, with the platform's secure settings.
 * It validates the IdP's HTTP-POST Response (both signatures by default, InResponseTo always,
 * audience, time conditions) and adds what node-saml leaves to its caller: the assertion's
 * Issuer, the Response's Destination and the Recipient must be ours, the login must have been
 * started by this browser (the login cookie), and a request id is used at most once. Success
 * gives the session to seal into the cookie.
 */
export class MicrokubesSamlStrategy extends PassportStrategy(Strategy, SAML_STRATEGY) {
  readonly strategyName = SAML_STRATEGY;
  /** The id of the AuthnRequest being built, chosen by loginUrl(), so that it can be bound to the browser. */
  private readonly nextRequestId = new AsyncLocalStorage<string>();

  /** @internal built by the module */
  constructor(
    private readonly options: ResolvedSamlOptions,
    private readonly keys: SamlKeys,
    private readonly requestIds: SamlRequestIdStore,
  ) {
    const config: PassportSamlConfig = {
      name: SAML_STRATEGY,
      issuer: options.entityId,
      callbackUrl: options.acsUrl,
      entryPoint: options.idpSsoUrl,
      audience: options.entityId,
      idpCert: (callback: (error: Error | null, certs?: string[]) => void) => callback(null, keys.idpCertificates()),
      privateKey: keys.spPrivateKey,
      publicCert: keys.spCertificate,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      signMetadata: true,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: options.requireSignedResponse,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: options.requestIdTtlMs,
      cacheProvider: cacheProviderOver(requestIds, options.requestIdTtlMs),
      acceptedClockSkewMs: options.clockSkewMs,
      // The platform's IdP issues transient, empty NameIDs and asks for no particular context.
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
      disableRequestedAuthnContext: true,
      generateUniqueId: () => this.nextRequestId.getStore() ?? newRequestId(),
      passReqToCallback: true,
    };
    // The mixin appends the verify callback that calls validate().
    super(...([config] as unknown as [PassportSamlConfig, VerifyWithRequest]));
  }

  /**
   * Only a well-formed HTTP-POST Response is taken. passport-saml would start a login for an empty
   * one and run a posted SAMLRequest (logout); neither is ours to run at the ACS.
   */
  override authenticate(request: SamlRequest, options: SamlAuthenticateOptions): void {
    const body = request.body as Record<string, unknown> | undefined;
    const query = request.query as Record<string, unknown> | undefined;
    const samlResponse = body?.SAMLResponse;
    if (typeof samlResponse !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse) || body?.SAMLRequest !== undefined || query?.SAMLResponse !== undefined || query?.SAMLRequest !== undefined) {
      return this.fail(new TokenRefusal('no SAMLResponse was posted', 'missing'), 400);
    }
    const checked = strictResponseXml(samlResponse);
    if ('problem' in checked) return this.fail(new TokenRefusal(checked.problem, 'malformed'), 401);
    super.authenticate(request, { ...options, session: false });
  }

  /** After node-saml's checks: ours, then the session. A refusal goes to passport's fail(). */
  async validate(request: { headers: IncomingHttpHeaders }, profile: Profile | null): Promise<SamlSessionPayload | [false, TokenRefusal]> {
    if (!profile) return [false, new TokenRefusal('no assertion in the Response', 'malformed')];
    if (profile.issuer !== this.options.idpEntityId) return [false, new TokenRefusal('assertion Issuer is not the configured IdP', 'issuer')];
    const misaddressed = checkAddressedTo(profile, this.options.acsUrl);
    if (misaddressed) return [false, new TokenRefusal(misaddressed, 'audience')];
    const inResponseTo = typeof profile.inResponseTo === 'string' ? profile.inResponseTo : '';
    // Login CSRF: a Response to someone else's AuthnRequest, posted from this browser.
    if (this.options.bindLoginToBrowser && !pendingLogins(request.headers.cookie, this.options.loginCookieName).includes(inResponseTo)) {
      return [false, new TokenRefusal('this browser did not start that login (no matching login cookie)', 'replay')];
    }
    // Atomic: of two concurrent posts of one Response, one logs in.
    if (!inResponseTo || !(await unavailableOnError(this.requestIds.take(inResponseTo)))) {
      return [false, new TokenRefusal('InResponseTo was already used', 'replay')];
    }
    const now = Math.floor(Date.now() / 1000);
    const session = sessionFromProfile(profile, this.options.idpEntityId, this.options.session.maxAge, now);
    return typeof session === 'string' ? [false, new TokenRefusal(session, 'claims')] : session;
  }

  /** A signed HTTP-Redirect AuthnRequest to the IdP's SSO URL, and its id, which waits in the request-id store. */
  async loginUrl(relayState: string): Promise<{ url: string; requestId: string }> {
    const saml = this._saml;
    if (!saml) throw new Error('the SAML provider is not set up');
    const requestId = newRequestId();
    const url = await this.nextRequestId.run(requestId, () => saml.getAuthorizeUrlAsync(relayState, undefined, {}));
    return { url, requestId };
  }

  /** The SP's metadata XML, signed with its key. */
  metadata(): string {
    return this.generateServiceProviderMetadata(null, this.keys.spCertificate);
  }
}

/** 128 random bits, as SAML ids must be unguessable; also a valid cookie value. */
function newRequestId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

/**
 * node-saml's cache over our store. An id is taken (atomically) in `validate`, once the Response
 * is fully verified; node-saml's own removal comes after its look-up, so two concurrent replays
 * could both pass it, and it is left out. A failing store answers 503, never its own error text.
 */
function cacheProviderOver(store: SamlRequestIdStore, ttlMs: number): CacheProvider {
  return {
    saveAsync: async (key, value) => {
      await unavailableOnError(store.save(key, value, ttlMs));
      return { value, createdAt: Date.now() };
    },
    getAsync: (key) => unavailableOnError(store.get(key)),
    removeAsync: async () => null,
  };
}

function unavailableOnError<T>(operation: Promise<T>): Promise<T> {
  return operation.catch((error: unknown) => {
    throw new SamlUnavailableError(error);
  });
}
