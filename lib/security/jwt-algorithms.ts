import type { KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../microkubes-options.interface.js';

const CURVE_OF: Partial<Record<JwtAlgorithm, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/**
 * An RSA-PSS key bound to its parameters fits only the PS algorithm of that hash, as jsonwebtoken
 * checks before it verifies (a key it would refuse must not be tried, and stop the search).
 */
function pssKeyFits(alg: JwtAlgorithm, key: KeyObject): boolean {
  const bits = Number(alg.slice(2));
  const { hashAlgorithm, mgf1HashAlgorithm, saltLength } = key.asymmetricKeyDetails ?? {};
  return hashAlgorithm === `sha${bits}` && mgf1HashAlgorithm === hashAlgorithm && (saltLength === undefined || saltLength <= bits / 8);
}

/** Whether `key` is of the type that `alg` is defined for, so that no algorithm can be confused. */
export function keyFitsAlgorithm(alg: JwtAlgorithm, key: KeyObject): boolean {
  switch (alg.slice(0, 2)) {
    case 'RS':
      return key.asymmetricKeyType === 'rsa';
    case 'PS':
      return key.asymmetricKeyType === 'rsa' || (key.asymmetricKeyType === 'rsa-pss' && pssKeyFits(alg, key));
    case 'ES':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE_OF[alg];
    case 'HS':
      return key.type === 'secret';
    default:
      return false;
  }
}
