/** Registration with Kong failed for good: thrown out of bootstrap, so `app.listen()` rejects. */
export class GatewayRegistrationError extends Error {
  constructor(
    readonly adminUrl: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Registration with Kong at ${adminUrl} failed: ${reason}`, options);
    this.name = 'GatewayRegistrationError';
  }
}
