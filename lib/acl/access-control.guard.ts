import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccessControl } from 'accesscontrol';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { requireMicrokubesModule } from '../config/microkubes-module-required.js';
import { MicrokubesAuthGuard } from '../security/microkubes-auth.guard.js';
import { SecurityException } from '../security/security.exception.js';
import { authenticatedCaller } from './authenticated-caller.js';
import { GRANTS_MATCH_KEY } from './grants-match.decorator.js';
import { USE_ROLES_KEY, type GrantRequirement } from './use-roles.decorator.js';

/** nest-access-control's provider token, for grants given with `AccessControlModule.forRoles()`. */
const ROLES_BUILDER_TOKEN = '__roles_builder__';

/**
 * Enforces nest-access-control's `@UseRoles({ resource, action, possession })` on the caller's
 * roles, with the grants of `acl.grants` or of `AccessControlModule.forRoles`: granted to any of
 * the roles, or with `@GrantsMatch('all')` to every one of them. Unlike ACGuard it reads
 * `@UseRoles` on the class too (the method's wins), and answers 403, not a 500, to a caller whose
 * roles the grants do not know or who has none.
 */
@Injectable()
export class AccessControlGuard implements CanActivate {
  private readonly logger = new Logger('MicrokubesAccessControl');
  private readonly builder?: AccessControl;
  private readonly defaultRoles: readonly string[];
  private readonly defaultMatch: 'any' | 'all';

  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly authGuard: MicrokubesAuthGuard,
    @Optional() @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
    @Optional() @Inject(ROLES_BUILDER_TOKEN) moduleBuilder?: AccessControl,
  ) {
    requireMicrokubesModule('AccessControlGuard', [authGuard, options]);
    this.builder = options.acl.accessControl.builder ?? moduleBuilder;
    this.defaultRoles = options.acl.accessControl.defaultRoles;
    this.defaultMatch = options.acl.grantsMatch;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<unknown>(USE_ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (required === undefined || (Array.isArray(required) && required.length === 0)) return true;
    // 'roles' is a common metadata key: anything but @UseRoles' list of requirements is refused, not a 500.
    if (!Array.isArray(required) || !required.every((entry) => typeof entry === 'object' && entry !== null)) {
      this.logger.error(`The "roles" metadata is not @UseRoles({ resource, action, possession }): ${JSON.stringify(required)}; access denied`);
      throw new SecurityException(403, 'access denied');
    }
    const auth = await authenticatedCaller(context, this.authGuard);
    if (!auth) return false;
    if (!this.builder) {
      this.logger.error('@UseRoles needs grants: set acl.grants or import AccessControlModule.forRoles(); access denied');
      throw new SecurityException(403, 'access denied: no grants are configured');
    }
    const builder = this.builder;
    const match = this.reflector.getAllAndOverride<'any' | 'all' | undefined>(GRANTS_MATCH_KEY, [context.getHandler(), context.getClass()]) ?? this.defaultMatch;
    const held = auth.roles.length > 0 ? auth.roles : this.defaultRoles;
    const known = held.filter((role) => builder.hasRole(role));
    if (known.length === 0) throw new SecurityException(403, 'access denied: no role of the caller is granted anything');
    // `all`: a role the grants do not know is a role without access.
    if (match === 'all' && known.length < held.length) throw new SecurityException(403, 'access denied: not granted to every role of the caller');
    const isGranted = (requirement: GrantRequirement, role: string | string[]) => {
      try {
        return builder.permission({ ...requirement, possession: requirement.possession ?? 'any', role }).granted;
      } catch (error) {
        this.logger.error(`@UseRoles(${JSON.stringify(requirement)}) cannot be checked: ${(error as Error).message}`);
        return false;
      }
    };
    const granted = (required as GrantRequirement[]).every((requirement) =>
      match === 'all' ? known.every((role) => isGranted(requirement, role)) : isGranted(requirement, known));
    if (!granted) throw new SecurityException(403, match === 'all' ? 'access denied: not granted to every role of the caller' : 'access denied: not granted');
    return true;
  }
}
