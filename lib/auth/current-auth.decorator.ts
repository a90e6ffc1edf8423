import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { SecurityException } from '../security/security.exception.js';
import { Auth } from './auth.js';

/**
 * The caller's `Auth`, or one of its fields (`@CurrentAuth('username')`), as a handler parameter.
 * Reads what MicrokubesAuthGuard put on the request, so it adds no request scope. A route that was
 * not authenticated (a public one) gets a 401 rather than an empty Auth.
 */
export const CurrentAuth = createParamDecorator((field: keyof Auth | undefined, context: ExecutionContext) => {
  const auth = context.switchToHttp().getRequest<{ user?: unknown }>().user;
  if (!(auth instanceof Auth)) throw new SecurityException(401, 'not authenticated');
  return field === undefined ? auth : auth[field];
});
