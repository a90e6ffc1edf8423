import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import { MicrokubesAuthGuard } from '../security/microkubes-auth.guard.js';
import { SecurityException } from '../security/security.exception.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { ROLES_KEY, type RolesRequirement } from './roles.decorator.js';

/** Enforces `@Roles(...)`: 401 without a caller, 403 when the caller lacks the roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
  ) {
    requireMicrokubesModule('RolesGuard', [authGuard]);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<RolesRequirement | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!requirement) return true;
    const auth = await authenticatedCaller(context, this.authGuard);
    if (!auth) return false;
    const granted = requirement.match === 'all'
      ? requirement.roles.every((role) => auth.hasRole(role))
      : requirement.roles.some((role) => auth.hasRole(role));
    if (!granted) {
      const which = requirement.match === 'all' ? 'all of the roles' : requirement.roles.length > 1 ? 'one of the roles' : 'the role';
      throw new SecurityException(403, `access denied: requires ${which} ${requirement.roles.join(', ')}`);
    }
    return true;
  }
}
