/** A call to another service that cannot carry the credentials it was asked for (no caller to relay, no system key). */
export class ServiceCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceCallError';
  }
}
