import jwt, { type Algorithm } from 'jsonwebtoken';
import jws from 'jws';
import type { KeyObject } from 'node:crypto';
import { Auth, type AuthStrategyName } from '../auth/auth.js';
import { authFromClaims, ClaimsError } from '../auth/claims.js';
import type { ResolvedTokenOptions } from '../config/resolved-options.js';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';
import { isBadSignature, refusalOfJwtError } from './jwt-error-refusal.js';
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
 * One strategy's token verification: the token's shape and header judged first (no signature
 * check is spent on a token that cannot pass), then jsonwebtoken verifies signature, `exp`, `nbf`,
 * `iss` and `aud` with the key that signed it, then the claims make the `Auth`. One signature check
 * for a genuine token, most often: the key source names the likeliest signer first. When another
 * key signed it, jws's bare signature check finds which (a forged token costs one check per
 * candidate key, and no more decoding), and jsonwebtoken verifies the token once more with that key.
 */
export class TokenVerification {
  /** Where this strategy finds its token; the token cache looks there too. */
  readonly extract: TokenExtractor;
  /** jsonwebtoken's options per accepted algorithm: a token is verified with its own `alg` only. */
  private readonly jwtOptions = new Map<JwtAlgorithm, jwt.VerifyOptions>();

  constructor(private readonly settings: TokenVerificationSettings) {
    const { header, scheme, issuer, audience, clockTolerance } = settings.options;
    this.extract = tokenExtractor(header, scheme);
    for (const alg of settings.options.algorithms) {
      this.jwtOptions.set(alg, { algorithms: [alg as Algorithm], issuer: issuer as jwt.VerifyOptions['issuer'], audience: audience as jwt.VerifyOptions['audience'], clockTolerance });
    }
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

  /**
   * The caller this token stands for, or why not (a `declined` refusal for a token this strategy
   * leaves to another). Rejects only on what is not the token's fault.
   */
  async verify(token: string): Promise<Auth | TokenRefusal> {
    const result = await this.judge(token);
    return result instanceof Auth ? result : result.by(this.strategy);
  }

  private async judge(token: string): Promise<Auth | TokenRefusal> {
    let inspected: InspectedToken;
    try {
      inspected = this.inspect(token);
    } catch (error) {
      if (error instanceof TokenRefusal) return error;
      throw error;
    }
    const { alg, header, issuer } = inspected;
    let keys: readonly KeyObject[];
    try {
      const found = this.settings.keys.keysFor(header, issuer);
      // The key store answers at once; only a JWKS may have to be fetched.
      keys = Array.isArray(found) ? found : await found;
    } catch (error) {
      if (error instanceof TokenRefusal) return error;
      throw error;
    }
    const options = this.jwtOptions.get(alg)!;
    const [likeliest, ...others] = keys;
    if (!likeliest) return new TokenRefusal('invalid signature', 'bad_signature');
    let signer = likeliest;
    let payload: unknown;
    try {
      payload = verifyWithoutStacks(token, likeliest, options);
    } catch (error) {
      // Only a signature that this key did not make sends the token on to the other keys.
      if (!isBadSignature(error) || others.length === 0) return refusalOfJwtError(error);
      const other = others.find((key) => signatureMadeBy(token, alg, key));
      if (!other) return new TokenRefusal('invalid signature', 'bad_signature');
      signer = other;
      try {
        payload = verifyWithoutStacks(token, signer, options);
      } catch (error) {
        return refusalOfJwtError(error);
      }
    }
    this.settings.keys.signedBy?.(signer, issuer);
    return this.authenticate(payload);
  }

  /** After jsonwebtoken has verified the token: the caller's Auth, or why it is refused. */
  private authenticate(payload: unknown): Auth | TokenRefusal {
    const { options, strategy, requiredScopes = [] } = this.settings;
    if (options.requireExpiration && typeof (payload as { exp?: unknown } | null)?.exp !== 'number') {
      return new TokenRefusal('token has no expiry (exp)', 'claims');
    }
    let auth: Auth;
    try {
      auth = authFromClaims(payload, strategy);
    } catch (error) {
      if (error instanceof ClaimsError) return new TokenRefusal(error.message, 'claims');
      throw error;
    }
    if (!requiredScopes.every((scope) => auth.hasScope(scope))) {
      return new TokenRefusal('token lacks a required scope', 'scope', requiredScopes);
    }
    return auth;
  }

  /** What must hold before any signature is checked; throws the TokenRefusal that says why not. */
  private inspect(token: string): InspectedToken {
    const segments = token.split('.');
    if (segments.length !== 3 || !segments.every((segment) => BASE64URL.test(segment))) throw new TokenRefusal('malformed token', 'malformed');
    if (!segments.every(isCanonical)) throw new TokenRefusal('malformed token: base64url with bits set that no encoder sets', 'malformed');
    const { header, payload } = decode(segments);
    // RFC 7515, 4.1.11: extensions named critical must be understood, and this verifier knows none.
    if (header.crit !== undefined) throw new TokenRefusal('token header names critical extensions ("crit") that are not understood', 'malformed');
    const alg = header.alg;
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
      throw new TokenRefusal('unsigned tokens are not accepted', 'algorithm');
    }
    if (!this.settings.options.algorithms.has(alg as JwtAlgorithm)) {
      throw new TokenRefusal(/^[A-Z]{2}\d{3}$/.test(alg) ? `algorithm ${alg} is not accepted` : 'unsupported algorithm', 'algorithm');
    }
    const issuer = (payload as { iss?: unknown }).iss;
    if (this.declines(issuer)) {
      throw new TokenRefusal('token is left to the next strategy', 'declined');
    }
    return { alg: alg as JwtAlgorithm, header: header as unknown as TokenHeader, issuer };
  }
}

/**
 * jsonwebtoken's verify, its refusals made without a stack: they are answers (mapped to a
 * TokenRefusal at once), and a forged token without `kid` makes one per key it is tried with.
 */
function verifyWithoutStacks(token: string, key: KeyObject, options: jwt.VerifyOptions): unknown {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return jwt.verify(token, key, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Whether `key` made the token's signature: jws's check alone (jsonwebtoken's own signature step),
 * so that a forged token tried against several keys is not decoded and judged once per key.
 */
function signatureMadeBy(token: string, alg: JwtAlgorithm, key: KeyObject): boolean {
  try {
    // jws (jwa beneath it) takes a KeyObject, as jsonwebtoken hands it one; its types say only string or Buffer.
    return jws.verify(token, alg, key as unknown as string);
  } catch {
    return false;
  }
}

/** A token whose shape and header passed, before its signature is checked. */
interface InspectedToken {
  alg: JwtAlgorithm;
  header: TokenHeader;
  /** `iss`, unverified: only a hint for the key, and for declining. */
  issuer: unknown;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Whether a segment is the one spelling of its bytes: base64 leaves spare bits in a segment's
 * last character, which decoders ignore, so that one signed token would otherwise have several
 * accepted spellings (each its own entry in the token cache). For a segment of base64url
 * characters only: a length of 4n + 1 spells no bytes; 4n + 2 leaves 4 spare bits, 4n + 3 two.
 */
function isCanonical(segment: string): boolean {
  const spareBits = [0, -1, 4, 2][segment.length % 4]!;
  if (spareBits <= 0) return spareBits === 0;
  return (BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]!) & ((1 << spareBits) - 1)) === 0;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The header and payload of a token whose three segments are canonical base64url; not yet verified. */
function decode([headerSegment, payloadSegment]: string[]): { header: Record<string, unknown>; payload: object } {
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(headerSegment!, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(payloadSegment!, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRefusal('malformed token', 'malformed');
  }
  if (!isJsonObject(header)) throw new TokenRefusal('malformed token', 'malformed');
  // Nothing but a JSON object can hold claims (and jsonwebtoken crashes on a `null` payload).
  if (!isJsonObject(payload)) throw new TokenRefusal('token payload is not a JSON object', 'malformed');
  return { header: header as Record<string, unknown>, payload };
}

function isJsonObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
