import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GrantsCheck } from '../acl/grants-check.js';
import { GRANTS_MATCH_KEY } from '../acl/grants-match.decorator.js';
import { USE_ROLES_KEY, type GrantRequirement } from '../acl/use-roles.decorator.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import type { AccessControl } from 'accesscontrol';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { MicrokubesAuthGuard } from './microkubes-auth.guard.js';

/** nest-access-control's provider token, for grants given with `AccessControlModule.forRoles()`. */
const ROLES_BUILDER_TOKEN = '__roles_builder__';

/**
 * Enforces `@UseRoles({ resource, action, possession })` (the module's or nest-access-control's) on
 * the caller's roles, on any transport, with the grants of `acl.grants` or of
 * `AccessControlModule.forRoles`: granted to any of the roles, or with `@GrantsMatch('all')` to
 * every one of them. Unlike ACGuard it reads `@UseRoles` on the class too (the method's wins), and
 * answers 403, not a 500, to a caller whose roles the grants do not know or who has none.
 */
@Injectable()
export class AccessControlGuard implements CanActivate {
  private readonly logger = new Logger('MicrokubesAccessControl');
  private readonly grants?: GrantsCheck;
  private readonly defaultMatch: 'any' | 'all';

  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
    @Optional() @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    @Optional() @Inject(ROLES_BUILDER_TOKEN) moduleBuilder?: AccessControl,
    @Optional() private readonly telemetry: SecurityTelemetry = SecurityTelemetry.off,
  ) {
    requireMicrokubesModule('AccessControlGuard', [authGuard, options]);
    const builder = options.acl.accessControl.builder ?? moduleBuilder;
    if (builder) this.grants = new GrantsCheck(builder, options.acl.accessControl.defaultRoles);
    this.defaultMatch = options.acl.grantsMatch;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<unknown>(USE_ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (required === undefined || (Array.isArray(required) && required.length === 0)) return true;
    // 'roles' is a common metadata key: anything but @UseRoles' list of requirements is refused, not a 500.
    if (!Array.isArray(required) || !required.every((entry) => typeof entry === 'object' && entry !== null)) {
      this.logger.error(`The "roles" metadata is not @UseRoles({ resource, action, possession }): ${JSON.stringify(required)}; access denied`);
      const transport = await this.authGuard.transportFor(context);
      if (transport) this.telemetry.authorized(transport.label, 'grants', false, transport.callKey(context));
      return transport ? transport.refuse(context, { status: 403, message: 'access denied' }) : false;
    }
    const caller = await authenticatedCaller(context, this.authGuard);
    if (!caller) return false;
    const refuse = (message: string) => {
      this.telemetry.authorized(caller.transport.label, 'grants', false, caller.transport.callKey(context));
      return caller.transport.refuse(context, { status: 403, message });
    };
    if (!this.grants) {
      this.logger.error('@UseRoles needs grants: set acl.grants or import AccessControlModule.forRoles(); access denied');
      return refuse('access denied: no grants are configured');
    }
    const match = this.reflector.getAllAndOverride<'any' | 'all' | undefined>(GRANTS_MATCH_KEY, [context.getHandler(), context.getClass()]) ?? this.defaultMatch;
    const refusal = this.grants.refusal(required as GrantRequirement[], match, caller.auth);
    if (refusal) await refuse(refusal);
    this.telemetry.authorized(caller.transport.label, 'grants', true, caller.transport.callKey(context));
    return true;
  }
}
