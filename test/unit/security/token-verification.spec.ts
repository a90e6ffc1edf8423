import jwt from 'jsonwebtoken';
import jws from 'jws';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import passport from 'passport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Auth } from '../../../lib/auth/auth.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';
import type { KeyStore } from '../../../lib/keys/key-store.js';
import { MicrokubesJwtStrategy } from '../../../lib/security/jwt.strategy.js';
import { KeyStoreKeySource } from '../../../lib/security/token-key-source.js';
import type { TokenKeySource } from '../../../lib/security/token-key-source.js';
import { TokenRefusal } from '../../../lib/security/token-refusal.js';
import { TokenVerification } from '../../../lib/security/token-verification.js';
import { badTokens, jwtIssuerToken, rsaKeyPair } from '../../../lib/testing/index.js';

const user = { userId: 'u1', username: 'jane@example.com' };
const options = resolveOptions({ security: { jwt: { issuer: 'Microkubes JWT Authority' } } }).security.jwt!;

/** A key store of these public keys, in this order, as the platform mounts them (no kid in tokens). */
function storeOf(publicKeys: KeyObject[]): KeyStore {
  const stored = publicKeys.map((key, i) => ({ name: `key-${i}`, key }));
  return { publicKeys: () => stored, publicKey: (name: string) => stored.find((entry) => entry.name === name), onChange: () => () => {} } as unknown as KeyStore;
}

function verificationOf(keys: TokenKeySource): TokenVerification {
  return new TokenVerification({ strategy: 'jwt', options, keys });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('TokenVerification with several candidate keys', () => {
  const pairs = Array.from({ length: 5 }, () => rsaKeyPair());
  const verification = verificationOf(new KeyStoreKeySource(storeOf(pairs.map((pair) => pair.publicKey))));

  it('accepts a token of each key, and the key that signed last is tried first', async () => {
    for (const pair of pairs) {
      expect(await verification.verify(jwtIssuerToken(pair.privateKey, user))).toBeInstanceOf(Auth);
    }
    const full = vi.spyOn(jwt, 'verify');
    const bare = vi.spyOn(jws, 'verify');
    expect(await verification.verify(jwtIssuerToken(pairs[4]!.privateKey, user))).toBeInstanceOf(Auth);
    expect(full).toHaveBeenCalledTimes(1);
    expect(bare).toHaveBeenCalledTimes(1); // inside jsonwebtoken, once
  });

  it('a forged token costs one signature check per key, and jsonwebtoken decodes it once', async () => {
    const full = vi.spyOn(jwt, 'verify');
    const bare = vi.spyOn(jws, 'verify');
    const refusal = await verification.verify(badTokens.foreign(user));
    expect(refusal).toEqual(new TokenRefusal('invalid signature', 'bad_signature').by('jwt'));
    expect(full).toHaveBeenCalledTimes(1);
    expect(bare).toHaveBeenCalledTimes(5);
  });

  it('a token of another key than the last signer: found by its signature, then verified in full with that key', async () => {
    const full = vi.spyOn(jwt, 'verify');
    const bare = vi.spyOn(jws, 'verify');
    expect(await verification.verify(jwtIssuerToken(pairs[2]!.privateKey, user))).toBeInstanceOf(Auth);
    expect(full).toHaveBeenCalledTimes(2);
    expect(full.mock.calls[1]![1]).toBe(pairs[2]!.publicKey);
    expect(bare.mock.calls.length).toBeLessThanOrEqual(5);
  });

  it.each([
    ['expired', (key: KeyObject) => badTokens.expired(key, user), 'token expired', 'expired'],
    ['not yet valid', (key: KeyObject) => badTokens.notYetValid(key, user), 'token not yet valid (nbf)', 'not_yet_valid'],
    ['of another issuer', (key: KeyObject) => jwtIssuerToken(key, user, 'api:read', { iss: 'someone else' }), 'token issuer not accepted', 'issuer'],
  ] as const)('a token %s, signed by a key that is not tried first: refused for its claims, as with the first key', async (_case, make, message, reason) => {
    await verification.verify(jwtIssuerToken(pairs[0]!.privateKey, user)); // pairs[0] the last signer now
    for (const pair of [pairs[0]!, pairs[3]!]) {
      expect(await verification.verify(make(pair.privateKey))).toEqual(new TokenRefusal(message, reason).by('jwt'));
    }
  });

  it('a tampered token of a key that is not tried first: invalid signature', async () => {
    await verification.verify(jwtIssuerToken(pairs[0]!.privateKey, user));
    expect(await verification.verify(badTokens.tampered(pairs[3]!.privateKey, user))).toEqual(new TokenRefusal('invalid signature', 'bad_signature').by('jwt'));
  });
});

describe('TokenVerification and RSA-PSS keys', () => {
  const pss = (hashAlgorithm: string) => generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm, mgf1HashAlgorithm: hashAlgorithm, saltLength: 32 } as { modulusLength: number });
  const sign = (key: KeyObject, algorithm: jwt.Algorithm) => jwt.sign({ ...user, iss: 'Microkubes JWT Authority', exp: Math.floor(Date.now() / 1000) + 60 }, key, { algorithm });

  it('a PSS key bound to SHA-512 is not tried for PS256: the RSA key that signed it is', async () => {
    const bound = pss('sha512');
    const rsa = rsaKeyPair();
    const verification = verificationOf(new KeyStoreKeySource(storeOf([bound.publicKey, rsa.publicKey])));
    expect(await verification.verify(sign(rsa.privateKey, 'PS256'))).toBeInstanceOf(Auth);
  });

  it('a PSS key bound to SHA-256 verifies its PS256 tokens, and refuses PS512 ones signed by it', async () => {
    const bound = pss('sha256');
    const verification = verificationOf(new KeyStoreKeySource(storeOf([rsaKeyPair().publicKey, bound.publicKey])));
    expect(await verification.verify(sign(bound.privateKey, 'PS256'))).toBeInstanceOf(Auth);
    expect(await verification.verify(jwtIssuerToken(rsaKeyPair().privateKey, user))).toEqual(new TokenRefusal('invalid signature', 'bad_signature').by('jwt'));
  });
});

describe('the microkubes-jwt strategy, run by passport (AuthGuard("microkubes-jwt"))', () => {
  /** passport's answer for a request bearing this token: the user, or the status of its fail(). */
  function throughPassport(keys: TokenKeySource, token: string): Promise<{ user?: unknown; status?: number; info?: unknown }> {
    const instance = new passport.Authenticator();
    const strategy = new MicrokubesJwtStrategy(verificationOf(keys));
    instance.use('microkubes-jwt', strategy);
    return new Promise((resolve, reject) => {
      const middleware = instance.authenticate('microkubes-jwt', { session: false }, (error: unknown, found: unknown, info: unknown, status: unknown) => {
        if (error) return reject(error);
        resolve(found ? { user: found } : { info, status: status as number });
      });
      middleware({ headers: { authorization: `Bearer ${token}` } }, {}, reject);
    });
  }

  it('a key source that fails unexpectedly is a refusal (401), not an error (500)', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const failing: TokenKeySource = { keysFor: () => Promise.reject(new Error('jwks down')) };
    const answer = await throughPassport(failing, jwtIssuerToken(rsaKeyPair().privateKey, user));
    expect(answer.user).toBeUndefined();
    expect(answer.status).toBe(401);
    expect(answer.info).toEqual(new TokenRefusal('authentication failed'));
  });
});
