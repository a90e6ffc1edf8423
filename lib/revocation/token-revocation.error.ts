/** A revocation that cannot be made as asked (off, no `jti`, a token the service does not accept), or not confirmed by Redis. */
export class TokenRevocationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRevocationError';
  }
}
