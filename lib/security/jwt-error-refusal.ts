import jwt from 'jsonwebtoken';
import { TokenRefusal, type RefusalReason } from './token-refusal.js';

/** What a jsonwebtoken error means to the caller, without echoing the token or the expected values. */
export function refusalOfJwtError(error: unknown): TokenRefusal {
  if (error instanceof TokenRefusal) return error;
  if (error instanceof jwt.TokenExpiredError) return new TokenRefusal('token expired', 'expired');
  if (error instanceof jwt.NotBeforeError) return new TokenRefusal('token not yet valid (nbf)', 'not_yet_valid');
  if (error instanceof jwt.JsonWebTokenError) {
    if (error.message.startsWith('jwt issuer invalid')) return new TokenRefusal('token issuer not accepted', 'issuer');
    if (error.message.startsWith('jwt audience invalid')) return new TokenRefusal('token audience not accepted', 'audience');
    if (error.message === 'jwt malformed') return new TokenRefusal('malformed token', 'malformed');
    return new TokenRefusal(error.message, reasonOfJwtMessage(error.message));
  }
  // jsonwebtoken may throw on input it did not expect (a TypeError deep inside): refused all the same.
  return new TokenRefusal('malformed token', 'malformed');
}

/** jsonwebtoken's answer when the signature does not verify with the key it was given (and only then). */
export function isBadSignature(error: unknown): boolean {
  return error instanceof jwt.JsonWebTokenError && error.message === 'invalid signature';
}

/** The reason of jsonwebtoken's other refusals (its messages are fixed strings of its own). */
function reasonOfJwtMessage(message: string): RefusalReason {
  if (message === 'invalid signature') return 'bad_signature';
  if (message === 'invalid algorithm' || message === 'jwt signature is required') return 'algorithm';
  if (message === 'invalid token') return 'malformed';
  return 'claims';
}
