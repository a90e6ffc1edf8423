import { HttpException } from '@nestjs/common';

/**
 * 302 to the IdP, thrown by MicrokubesAuthGuard for a browser without a session: the guard has set
 * `Location`, and Nest's exception handling sends the status (a filter of the app may reword it).
 */
export class SamlLoginRedirect extends HttpException {
  constructor() {
    super({ code: 302, message: 'login required: redirecting to the identity provider' }, 302);
  }
}
