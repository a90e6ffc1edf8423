/** The IdP did not take the SP's metadata; with `registration.required`, `app.listen()` rejects with it. */
export class SamlRegistrationError extends Error {
  constructor(
    readonly registrationUrl: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`SAML SP registration at ${registrationUrl} failed: ${reason}`, options);
    this.name = 'SamlRegistrationError';
  }
}
