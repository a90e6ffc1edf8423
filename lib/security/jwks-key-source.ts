import { createPublicKey, type KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import { keyFitsAlgorithm } from './jwt-algorithms.js';
import type { TokenHeader, TokenKeySource } from './token-key-source.js';
import { TokenRefusal } from './token-refusal.js';

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
    /** Called after each fetch, with whether it worked (telemetry). */
    private readonly onFetch: (ok: boolean) => void = () => {},
  ) {
    this.client = new jwksRsa.JwksClient({ jwksUri, cache: false, rateLimit: false, timeout: 5_000 });
  }

  /** Fetches the key set ahead of the first request. */
  async prefetch(): Promise<number> {
    await this.refresh();
    return this.keys.size;
  }

  async keysFor({ alg, kid }: TokenHeader): Promise<readonly KeyObject[]> {
    if (kid !== undefined && typeof kid !== 'string') {
      throw new TokenRefusal('malformed token: "kid" must be a string', 'malformed');
    }
    if (alg.startsWith('HS')) throw new TokenRefusal(`algorithm ${alg} is not accepted`, 'algorithm');
    let found = this.lookup(kid);
    if (!found && Date.now() - this.lastFetch >= JWKS_REFRESH_INTERVAL_MS) {
      await this.refresh().catch(() => undefined);
      found = this.lookup(kid);
    }
    if (!found) throw (this.keys.size === 0 ? new TokenRefusal('signing keys are unavailable', 'unavailable') : new TokenRefusal('unknown key id', 'unknown_key'));
    // A JWK that names its algorithm is used with that one only.
    if (!keyFitsAlgorithm(alg, found.key) || (found.alg !== undefined && found.alg !== alg)) {
      throw new TokenRefusal(`key id does not fit algorithm ${alg}`, 'algorithm');
    }
    return [found.key];
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
      } catch (error) {
        this.onFetch(false);
        throw error;
      } finally {
        this.fetching = undefined;
      }
      // Reported once the cache is flushed: a report that fails cannot keep a dropped key's tokens in.
      this.onFetch(true);
    })();
    return this.fetching;
  }
}
