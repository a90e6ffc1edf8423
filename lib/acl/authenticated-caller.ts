import { Logger, type ExecutionContext } from '@nestjs/common';
import { Auth } from '../auth/auth.js';
import { refuseContext, type MicrokubesAuthGuard } from '../security/microkubes-auth.guard.js';
import { SecurityException } from '../security/security.exception.js';

const logger = new Logger('MicrokubesAccess');

/**
 * The caller's Auth for an access-control guard. When MicrokubesAuthGuard has not run yet (the
 * access guard is global, or listed first), it runs it now, so that access is never judged
 * before authentication. Undefined outside HTTP when the auth guard refuses (fail closed).
 */
export async function authenticatedCaller(context: ExecutionContext, authGuard: MicrokubesAuthGuard): Promise<Auth | undefined> {
  if (context.getType() !== 'http') {
    refuseContext(logger, context);
    return undefined;
  }
  const request = context.switchToHttp().getRequest<{ user?: unknown }>();
  if (!(request.user instanceof Auth)) await authGuard.canActivate(context);
  if (request.user instanceof Auth) return request.user;
  // A public route or ignored method: access rules on it still need a caller.
  throw new SecurityException(401, 'not authenticated');
}
