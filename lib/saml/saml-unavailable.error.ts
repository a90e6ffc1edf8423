/** The request-id store failed (Redis down): a login cannot start or finish now. Answered 503. */
export class SamlUnavailableError extends Error {
  constructor(cause: unknown) {
    super('SAML login is unavailable: the request-id store failed', { cause });
    this.name = 'SamlUnavailableError';
  }
}
