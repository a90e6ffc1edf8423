import { createPublicKey, type KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import type { StoredKey } from '../keys/key-file.js';
import type { KeyStore } from '../keys/key-store.js';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';
import { keyFitsAlgorithm, signedBy } from './jwt-algorithms.js';
import { TokenRefusal } from './token-refusal.js';

/** What is known of a token before it is verified: only used to pick the key. */
export interface TokenHeader {
  readonly alg: JwtAlgorithm;
  readonly kid?: unknown;
}

/** Where a strategy finds the key that verifies a token. */
export interface TokenKeySource {
  /** The key to verify `token` with (`iss`, unverified, only as a hint); rejects with a TokenRefusal when there is none. */
  keyFor(token: string, header: TokenHeader, iss?: unknown): Promise<KeyObject>;
}

/**
 * Keys from the KeyStore, as the platform signs: with a `kid`, only the public key of that name;
 * without one, whichever public key of the right type signed the token. HS* only with the
 * configured secret, never with a public key.
 */
export class KeyStoreKeySource implements TokenKeySource {
  /** Per issuer, the key that verified its last token; bounded, as issuers come from tokens. */
  private readonly lastSignerByIssuer = new Map<string, StoredKey>();

  constructor(
    private readonly store: KeyStore,
    private readonly hmacSecret?: KeyObject,
  ) {}

  async keyFor(token: string, { alg, kid }: TokenHeader, iss?: unknown): Promise<KeyObject> {
    if (alg.startsWith('HS')) {
      if (!this.hmacSecret) throw new TokenRefusal(`algorithm ${alg} is not accepted`);
      return this.hmacSecret;
    }
    if (kid !== undefined) {
      if (typeof kid !== 'string') throw new TokenRefusal('malformed token: "kid" must be a string');
      // A lookup in a map of parsed keys: a kid is a name, never a path.
      const named = this.store.publicKey(kid);
      if (!named) throw new TokenRefusal('unknown key id');
      if (!keyFitsAlgorithm(alg, named.key)) throw new TokenRefusal(`key id does not fit algorithm ${alg}`);
      return named.key;
    }
    const candidates = this.store.publicKeys().filter((stored) => keyFitsAlgorithm(alg, stored.key));
    if (candidates.length === 0) throw new TokenRefusal(`no key to verify ${alg} tokens`);
    if (candidates.length === 1) return candidates[0]!.key;
    // The key that signed the last token of this issuer is tried first: one check, most often.
    const issuer = typeof iss === 'string' ? iss : '';
    const lastSigner = this.lastSignerByIssuer.get(issuer);
    const ordered = lastSigner ? [lastSigner, ...candidates.filter((stored) => stored !== lastSigner)] : candidates;
    const signer = ordered.find((stored) => candidates.includes(stored) && signedBy(token, alg, stored.key));
    if (!signer) throw new TokenRefusal('invalid signature');
    if (this.lastSignerByIssuer.size < MAX_REMEMBERED_ISSUERS || this.lastSignerByIssuer.has(issuer)) this.lastSignerByIssuer.set(issuer, signer);
    return signer.key;
  }
}

/** Issuers whose last signing key is remembered: a few on the platform; tokens can name any. */
const MAX_REMEMBERED_ISSUERS = 16;

/** How often an unknown `kid` may make the key set be fetched again. */
const JWKS_REFRESH_INTERVAL_MS = 30_000;

/**
 * Keys published by an authorization server as a JSON Web Key Set. The whole set is held here,
 * parsed once; a token with an unknown `kid` makes it be fetched again at most every 30 s, so that
 * tokens with made-up kids can neither flood the server nor push the known keys out.
 */
export class JwksKeySource implements TokenKeySource {
  private readonly client: jwksRsa.JwksClient;
  /** By kid: the parsed key and the `alg` its JWK pins, if any. */
  private keys = new Map<string, { key: KeyObject; alg?: string }>();
  private lastFetch = 0;
  private fetching?: Promise<void>;

  constructor(
    jwksUri: string,
    /** Called when a fetch changed the keys, so that tokens verified with a dropped key are forgotten. */
    private readonly onChange: () => void = () => {},
  ) {
    this.client = new jwksRsa.JwksClient({ jwksUri, cache: false, rateLimit: false, timeout: 5_000 });
  }

  /** Fetches the key set ahead of the first request. */
  async prefetch(): Promise<number> {
    await this.refresh();
    return this.keys.size;
  }

  async keyFor(_token: string, { alg, kid }: TokenHeader): Promise<KeyObject> {
    if (kid !== undefined && typeof kid !== 'string') {
      throw new TokenRefusal('malformed token: "kid" must be a string');
    }
    if (alg.startsWith('HS')) throw new TokenRefusal(`algorithm ${alg} is not accepted`);
    let found = this.lookup(kid);
    if (!found && Date.now() - this.lastFetch >= JWKS_REFRESH_INTERVAL_MS) {
      await this.refresh().catch(() => undefined);
      found = this.lookup(kid);
    }
    if (!found) throw new TokenRefusal(this.keys.size === 0 ? 'signing keys are unavailable' : 'unknown key id');
    // A JWK that names its algorithm is used with that one only.
    if (!keyFitsAlgorithm(alg, found.key) || (found.alg !== undefined && found.alg !== alg)) {
      throw new TokenRefusal(`key id does not fit algorithm ${alg}`);
    }
    return found.key;
  }

  /** By kid; a token without one may use the set's only key. */
  private lookup(kid: string | undefined): { key: KeyObject; alg?: string } | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
  }

  /** One fetch at a time; a failed fetch keeps the keys there are. */
  private refresh(): Promise<void> {
    this.fetching ??= (async () => {
      this.lastFetch = Date.now();
      try {
        const signingKeys = await this.client.getSigningKeys();
        const previous = this.keys;
        this.keys = new Map(signingKeys.map((signingKey) => [
          signingKey.kid,
          { key: createPublicKey(signingKey.getPublicKey()), alg: signingKey.alg || undefined },
        ]));
        const unchanged = previous.size === this.keys.size &&
          [...this.keys].every(([kid, entry]) => previous.get(kid)?.key.equals(entry.key) && previous.get(kid)?.alg === entry.alg);
        if (!unchanged) this.onChange();
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }
}
