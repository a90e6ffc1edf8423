import { Logger, type ExecutionContext } from '@nestjs/common';
import type { Auth } from '../auth/auth.js';
import type { TransportAdapter } from '../transports/transport-adapter.js';
import { callerOf } from '../transports/call-callers.js';
import { expired, type MicrokubesAuthGuard } from './microkubes-auth.guard.js';
import { refuseContext } from './refuse-context.js';

const logger = new Logger('MicrokubesAccess');

/**
 * The caller of a call, for an access-control guard, and its transport. When MicrokubesAuthGuard
 * has not run yet (the access guard is global, or listed first), it runs it now, so that access is
 * never judged before authentication. Undefined for a context no transport knows (fail closed).
 * A call that passed without a caller (a public route) is authenticated now, as access rules need
 * a caller; with security off it is refused 401 `not authenticated`.
 */
export async function authenticatedCaller(context: ExecutionContext, authGuard: MicrokubesAuthGuard): Promise<{ auth: Auth; transport: TransportAdapter } | undefined> {
  const transport = await authGuard.transportFor(context);
  if (!transport) {
    refuseContext(logger, context);
    return undefined;
  }
  const known = callerOf(context);
  if (!known) {
    if (!(await authGuard.canActivate(context))) return undefined;
    if (!callerOf(context)) await authGuard.authenticatePassedCall(context, transport);
  } else if (expired(known) && !(await authGuard.authenticatePassedCall(context, transport))) {
    // A caller kept on a socket past its token's exp is authenticated again (and refused), on a
    // public handler too; with security off, refused as it stands.
    return transport.refuse(context, { status: 401, message: 'token expired' });
  }
  const auth = callerOf(context);
  if (auth) return { auth, transport };
  // Only with security off: no credentials would be taken, so no challenge asks for them.
  return transport.refuse(context, { status: 401, message: 'not authenticated' });
}
