import { constants, verify, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';

const CURVE_OF: Partial<Record<JwtAlgorithm, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/** Whether `key` is of the type that `alg` is defined for, so that no algorithm can be confused. */
export function keyFitsAlgorithm(alg: JwtAlgorithm, key: KeyObject): boolean {
  switch (alg.slice(0, 2)) {
    case 'RS':
      return key.asymmetricKeyType === 'rsa';
    case 'PS':
      return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
    case 'ES':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE_OF[alg];
    case 'HS':
      return key.type === 'secret';
    default:
      return false;
  }
}

/**
 * Checks a compact JWS signature with a public key. Used only to pick which of several keys signed
 * a token that names none; jsonwebtoken then verifies the token in full with that key.
 */
export function signedBy(token: string, alg: JwtAlgorithm, key: KeyObject): boolean {
  const dot = token.lastIndexOf('.');
  const data = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const hash = `sha${alg.slice(2)}`;
  try {
    switch (alg.slice(0, 2)) {
      case 'RS':
        return verify(hash, data, key, signature);
      case 'PS':
        return verify(
          hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'ES':
        return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
