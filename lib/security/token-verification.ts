import jwt, { type Algorithm } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import type { StrategyOptionsWithoutRequest } from 'passport-jwt';
import { Auth, type AuthStrategyName } from '../auth/auth.js';
import { authFromClaims, ClaimsError } from '../auth/claims.js';
import type { ResolvedTokenOptions } from '../config/resolved-options.js';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';
import { tokenExtractor, type TokenExtractor } from './token-extractor.js';
import type { TokenHeader, TokenKeySource } from './token-key-source.js';
import { TokenRefusal } from './token-refusal.js';

export interface TokenVerificationSettings {
  readonly strategy: Exclude<AuthStrategyName, 'saml'>;
  readonly options: ResolvedTokenOptions;
  readonly keys: TokenKeySource;
  /** Issuers whose tokens this strategy leaves to another one of the chain. */
  readonly declinedIssuers?: readonly string[];
  /** Scopes a token must all carry. */
  readonly requiredScopes?: readonly string[];
}

/**
 * One strategy's token checks around passport-jwt: the key to verify with (before jsonwebtoken
 * verifies signature, exp, nbf, iss and aud), then the claims that make the `Auth` (after).
 */
export class TokenVerification {
  /** Where this strategy finds its token; the token cache looks there too. */
  readonly extract: TokenExtractor;

  constructor(private readonly settings: TokenVerificationSettings) {
    this.extract = tokenExtractor(settings.options.header, settings.options.scheme);
  }

  get strategy(): TokenVerificationSettings['strategy'] {
    return this.settings.strategy;
  }

  get clockTolerance(): number {
    return this.settings.options.clockTolerance;
  }

  /** Whether this strategy leaves tokens of this issuer to another strategy of the chain. */
  declines(issuer: unknown): boolean {
    return typeof issuer === 'string' && (this.settings.declinedIssuers?.includes(issuer) ?? false);
  }

  /** passport-jwt's options for this strategy. */
  strategyOptions(): StrategyOptionsWithoutRequest {
    const { options } = this.settings;
    return {
      jwtFromRequest: this.extract,
      secretOrKeyProvider: (_request: unknown, token: string, done: (error: unknown, key?: KeyObject) => void) => {
        this.keyFor(token)
          .then(
            (key) => done(null, key),
            (error: unknown) => done(error),
          )
          // jsonwebtoken runs inside done() and may throw on input it did not expect: refuse, never hang.
          .catch(() => done(new TokenRefusal('malformed token')));
      },
      // passport-jwt overwrites these three in jsonWebTokenOptions with its own top-level ones.
      algorithms: [...options.algorithms] as Algorithm[],
      issuer: options.issuer,
      audience: options.audience,
      jsonWebTokenOptions: { clockTolerance: options.clockTolerance },
      passReqToCallback: false,
    } as unknown as StrategyOptionsWithoutRequest; // the typings predate KeyObject keys
  }

  /** After jsonwebtoken has verified the token: the caller's Auth, or why it is refused. */
  authenticate(payload: unknown): Auth | TokenRefusal {
    const { options, strategy, requiredScopes = [] } = this.settings;
    if (options.requireExpiration && typeof (payload as { exp?: unknown } | null)?.exp !== 'number') {
      return new TokenRefusal('token has no expiry (exp)');
    }
    let auth: Auth;
    try {
      auth = authFromClaims(payload, strategy);
    } catch (error) {
      if (error instanceof ClaimsError) return new TokenRefusal(error.message);
      throw error;
    }
    if (!requiredScopes.every((scope) => auth.hasScope(scope))) {
      return new TokenRefusal('token lacks a required scope', 'insufficient_scope', requiredScopes);
    }
    return auth;
  }

  private async keyFor(token: string): Promise<KeyObject> {
    const segments = token.split('.');
    if (segments.length !== 3 || !segments.every((segment) => BASE64URL.test(segment))) throw new TokenRefusal('malformed token');
    if (!segments.every(isCanonical)) throw new TokenRefusal('malformed token: base64url with bits set that no encoder sets');
    const { header, payload } = decode(token);
    // RFC 7515, 4.1.11: extensions named critical must be understood, and this verifier knows none.
    if (header.crit !== undefined) throw new TokenRefusal('token header names critical extensions ("crit") that are not understood');
    const alg = header.alg;
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
      throw new TokenRefusal('unsigned tokens are not accepted');
    }
    if (!this.settings.options.algorithms.has(alg as JwtAlgorithm)) {
      throw new TokenRefusal(/^[A-Z]{2}\d{3}$/.test(alg) ? `algorithm ${alg} is not accepted` : 'unsupported algorithm');
    }
    const issuer = (payload as { iss?: unknown } | null)?.iss;
    if (this.declines(issuer)) {
      throw new TokenRefusal('token is left to the next strategy', 'declined');
    }
    return this.settings.keys.keyFor(token, header as unknown as TokenHeader, issuer);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Whether a segment is the one spelling of its bytes: base64 leaves spare bits in a segment's
 * last character, which decoders ignore, so that one signed token would otherwise have several
 * accepted spellings (each its own entry in the token cache).
 */
function isCanonical(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

function decode(token: string): { header: Record<string, unknown>; payload: unknown } {
  let decoded: jwt.Jwt | null = null;
  try {
    decoded = jwt.decode(token, { complete: true });
  } catch {
    // jsonwebtoken throws on a payload that is not JSON.
  }
  if (!decoded || typeof decoded.header !== 'object' || decoded.header === null) {
    throw new TokenRefusal('malformed token');
  }
  // jsonwebtoken crashes on a `null` payload; nothing but a JSON object can hold claims anyway.
  if (typeof decoded.payload !== 'object' || decoded.payload === null || Array.isArray(decoded.payload)) {
    throw new TokenRefusal('token payload is not a JSON object');
  }
  return { header: decoded.header as unknown as Record<string, unknown>, payload: decoded.payload };
}
