import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AclPolicyEnforcer } from '../acl/acl-policy.enforcer.js';
import { SKIP_ACL_KEY } from '../acl/skip-acl.decorator.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { MicrokubesAuthGuard } from './microkubes-auth.guard.js';

/**
 * Checks the platform ACL policies on the handlers it guards, after authentication:
 * `@UseGuards(MicrokubesAuthGuard, AclGuard)`. With `acl.enforcePolicies` (the default when
 * policies are given) MicrokubesAuthGuard does the same on every handler it secures.
 */
@Injectable()
export class AclGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
    @Optional() private readonly enforcer: AclPolicyEnforcer,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    requireMicrokubesModule('AclGuard', [authGuard, enforcer]);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP_ACL_KEY, [context.getHandler(), context.getClass()])) return true;
    const caller = await authenticatedCaller(context, this.authGuard);
    if (!caller) return false;
    const refusal = this.enforcer.refusal(caller.auth, caller.transport.target(context), caller.transport.callKey(context));
    this.telemetry.authorized(caller.transport.label, 'policies', !refusal, caller.transport.callKey(context));
    if (refusal) await caller.transport.refuse(context, { status: 403, message: refusal });
    return true;
  }
}
