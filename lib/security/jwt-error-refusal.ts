import jwt from 'jsonwebtoken';
import { TokenRefusal } from './token-refusal.js';

/** What a jsonwebtoken error means to the caller, without echoing the token or the expected values. */
export function refusalOfJwtError(error: unknown): TokenRefusal {
  if (error instanceof TokenRefusal) return error;
  if (error instanceof jwt.TokenExpiredError) return new TokenRefusal('token expired');
  if (error instanceof jwt.NotBeforeError) return new TokenRefusal('token not yet valid (nbf)');
  if (error instanceof jwt.JsonWebTokenError) {
    if (error.message.startsWith('jwt issuer invalid')) return new TokenRefusal('token issuer not accepted');
    if (error.message.startsWith('jwt audience invalid')) return new TokenRefusal('token audience not accepted');
    if (error.message === 'jwt malformed') return new TokenRefusal('malformed token');
    return new TokenRefusal(error.message);
  }
  // jsonwebtoken may throw on input it did not expect (a TypeError deep inside): refused all the same.
  return new TokenRefusal('malformed token');
}

/** jsonwebtoken's answer when the signature does not verify with the key it was given (and only then). */
export function isBadSignature(error: unknown): boolean {
  return error instanceof jwt.JsonWebTokenError && error.message === 'invalid signature';
}
