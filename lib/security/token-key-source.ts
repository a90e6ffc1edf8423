import { createPublicKey, type KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
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
  /** The key to verify `token` with; rejects with a TokenRefusal when there is none. */
  keyFor(token: string, header: TokenHeader): Promise<KeyObject>;
}

/**
 * Keys from the KeyStore, as the platform signs: with a `kid`, only the public key of that name;
 * without one, whichever public key of the right type signed the token. HS* only with the
 * configured secret, never with a public key.
 */
export class KeyStoreKeySource implements TokenKeySource {
  constructor(
    private readonly store: KeyStore,
    private readonly hmacSecret?: KeyObject,
  ) {}

  async keyFor(token: string, { alg, kid }: TokenHeader): Promise<KeyObject> {
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
    const signer = candidates.find((stored) => signedBy(token, alg, stored.key));
    if (!signer) throw new TokenRefusal('invalid signature');
    return signer.key;
  }
}

/** Keys published by an authorization server as a JSON Web Key Set, cached by jwks-rsa. */
export class JwksKeySource implements TokenKeySource {
  private readonly client: jwksRsa.JwksClient;
  /** PEM -> KeyObject, so that a cached key is parsed once. */
  private readonly parsed = new Map<string, KeyObject>();

  constructor(jwksUri: string) {
    this.client = new jwksRsa.JwksClient({
      jwksUri,
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 10,
      timeout: 5_000,
    });
  }

  /** Fetches the key set ahead of the first request. */
  async prefetch(): Promise<number> {
    return (await this.client.getSigningKeys()).length;
  }

  async keyFor(_token: string, { alg, kid }: TokenHeader): Promise<KeyObject> {
    if (kid !== undefined && typeof kid !== 'string') {
      throw new TokenRefusal('malformed token: "kid" must be a string');
    }
    if (alg.startsWith('HS')) throw new TokenRefusal(`algorithm ${alg} is not accepted`);
    let pem: string;
    try {
      pem = (await this.client.getSigningKey(kid)).getPublicKey();
    } catch (error) {
      const notFound = error instanceof jwksRsa.SigningKeyNotFoundError;
      throw new TokenRefusal(notFound ? 'unknown key id' : 'signing keys are unavailable');
    }
    let key = this.parsed.get(pem);
    if (!key) {
      key = createPublicKey(pem);
      this.parsed.set(pem, key);
    }
    if (!keyFitsAlgorithm(alg, key)) throw new TokenRefusal(`key id does not fit algorithm ${alg}`);
    return key;
  }
}
