/** A service config file that is missing, not JSON, or holds a field of the wrong type. Thrown at start-up. */
export class ServiceConfigError extends Error {
  constructor(
    readonly file: string,
    /** The offending field, dotted (`service.port`, `security.acl.policies[0].effect`). */
    readonly field: string | undefined,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`Service config ${file}: ${field === undefined ? '' : `"${field}" `}${problem}`, options);
    this.name = 'ServiceConfigError';
  }
}
