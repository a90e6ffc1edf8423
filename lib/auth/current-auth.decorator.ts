import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { callerOf } from '../transports/call-callers.js';
import { refusalError } from '../transports/refusal-errors.js';
import type { Auth } from './auth.js';

/**
 * The caller's `Auth`, or one of its fields (`@CurrentAuth('username')`), as a handler parameter:
 * of an HTTP route, a GraphQL resolver or a WebSocket message handler. Reads what
 * MicrokubesAuthGuard kept for the call, so it adds no request scope. A call that was not
 * authenticated (a public one) is refused with 401 rather than given an empty Auth.
 */
export const CurrentAuth = createParamDecorator((field: keyof Auth | undefined, context: ExecutionContext) => {
  const auth = callerOf(context);
  if (!auth) throw refusalError(context, { status: 401, message: 'not authenticated' });
  return field === undefined ? auth : auth[field];
});
