import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { rolesRefusal } from '../acl/roles-check.js';
import { ROLES_KEY, type RolesRequirement } from '../acl/roles.decorator.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { MicrokubesAuthGuard } from './microkubes-auth.guard.js';

/** Enforces `@Roles(...)`, on any transport: 401 without a caller, 403 when the caller lacks the roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    requireMicrokubesModule('RolesGuard', [authGuard]);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<RolesRequirement | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!requirement) return true;
    const caller = await authenticatedCaller(context, this.authGuard);
    if (!caller) return false;
    const refusal = rolesRefusal(requirement, caller.auth);
    this.telemetry.authorized(caller.transport.label, 'roles', !refusal, caller.transport.callKey(context));
    if (refusal) await caller.transport.refuse(context, { status: 403, message: refusal });
    return true;
  }
}
