import type { KeyObject } from 'node:crypto';
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
