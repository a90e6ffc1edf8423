import type { KeyObject } from 'node:crypto';
import type { StoredKey } from '../keys/key-file.js';
import type { KeyStore } from '../keys/key-store.js';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';
import { keyFitsAlgorithm } from './jwt-algorithms.js';
import { TokenRefusal } from './token-refusal.js';

/** What is known of a token before it is verified: only used to pick the key. */
export interface TokenHeader {
  readonly alg: JwtAlgorithm;
  readonly kid?: unknown;
}

/** Where a strategy finds the keys that may have signed a token. */
export interface TokenKeySource {
  /**
   * The keys that may have signed a token with this header, the likeliest first (`iss`, unverified,
   * only as a hint); throws, or rejects with, a TokenRefusal when there is none.
   */
  keysFor(header: TokenHeader, iss?: unknown): readonly KeyObject[] | Promise<readonly KeyObject[]>;
  /** Told which of them verified a token of this issuer, so that it comes first next time. */
  signedBy?(key: KeyObject, iss: unknown): void;
}

/**
 * Keys from the KeyStore, as the platform signs: with a `kid`, only the public key of that name;
 * without one, every public key of the right type, the one that signed this issuer's last token
 * first. HS* only with the configured secret, never with a public key.
 */
export class KeyStoreKeySource implements TokenKeySource {
  /** Per issuer, the key that verified its last token; bounded, as issuers come from tokens. */
  private readonly lastSignerByIssuer = new Map<string, KeyObject>();
  /** Per algorithm, the public keys that fit it, for the key store's list they were taken from. */
  private fitting = new Map<JwtAlgorithm, readonly KeyObject[]>();
  private fittingFrom?: readonly StoredKey[];

  constructor(
    private readonly store: KeyStore,
    private readonly hmacSecret?: KeyObject,
  ) {}

  keysFor({ alg, kid }: TokenHeader, iss?: unknown): readonly KeyObject[] {
    if (alg.startsWith('HS')) {
      if (!this.hmacSecret) throw new TokenRefusal(`algorithm ${alg} is not accepted`, 'algorithm');
      return [this.hmacSecret];
    }
    if (kid !== undefined) {
      if (typeof kid !== 'string') throw new TokenRefusal('malformed token: "kid" must be a string', 'malformed');
      // A lookup in a map of parsed keys: a kid is a name, never a path.
      const named = this.store.publicKey(kid);
      if (!named) throw new TokenRefusal('unknown key id', 'unknown_key');
      if (!keyFitsAlgorithm(alg, named.key)) throw new TokenRefusal(`key id does not fit algorithm ${alg}`, 'algorithm');
      return [named.key];
    }
    const candidates = this.fittingKeys(alg);
    if (candidates.length === 0) throw new TokenRefusal(`no key to verify ${alg} tokens`, 'unknown_key');
    const lastSigner = this.lastSignerByIssuer.get(typeof iss === 'string' ? iss : '');
    if (!lastSigner || lastSigner === candidates[0] || !candidates.includes(lastSigner)) return candidates;
    return [lastSigner, ...candidates.filter((key) => key !== lastSigner)];
  }

  signedBy(key: KeyObject, iss: unknown): void {
    const issuer = typeof iss === 'string' ? iss : '';
    if (this.lastSignerByIssuer.size < MAX_REMEMBERED_ISSUERS || this.lastSignerByIssuer.has(issuer)) this.lastSignerByIssuer.set(issuer, key);
  }

  private fittingKeys(alg: JwtAlgorithm): readonly KeyObject[] {
    const stored = this.store.publicKeys();
    if (stored !== this.fittingFrom) {
      // The key store reloaded: its list is a new one.
      this.fitting = new Map();
      this.fittingFrom = stored;
    }
    let fitting = this.fitting.get(alg);
    if (!fitting) {
      fitting = stored.filter((entry) => keyFitsAlgorithm(alg, entry.key)).map((entry) => entry.key);
      this.fitting.set(alg, fitting);
    }
    return fitting;
  }
}

/** Issuers whose last signing key is remembered: a few on the platform; tokens can name any. */
const MAX_REMEMBERED_ISSUERS = 16;
