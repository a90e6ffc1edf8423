import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import { MicrokubesAuthGuard } from '../security/microkubes-auth.guard.js';
import { AclPolicyEnforcer } from './acl-policy.enforcer.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { SKIP_ACL_KEY } from './skip-acl.decorator.js';

/**
 * Checks the platform ACL policies on the routes it guards, after authentication:
 * `@UseGuards(MicrokubesAuthGuard, AclGuard)`. With `acl.enforcePolicies` (the default when
 * policies are given) MicrokubesAuthGuard does the same on every route it secures.
 */
@Injectable()
export class AclGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
    @Optional() private readonly enforcer: AclPolicyEnforcer,
  ) {
    requireMicrokubesModule('AclGuard', [authGuard, enforcer]);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP_ACL_KEY, [context.getHandler(), context.getClass()])) return true;
    const auth = await authenticatedCaller(context, this.authGuard);
    if (!auth) return false;
    this.enforcer.enforce(auth, context.switchToHttp().getRequest());
    return true;
  }
}
