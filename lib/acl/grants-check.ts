import { Logger } from '@nestjs/common';
import type { AccessControl } from 'accesscontrol';
import type { Auth } from '../auth/auth.js';
import type { GrantRequirement } from './use-roles.decorator.js';

/**
 * The grants of `@UseRoles` (accesscontrol's AccessControl): whether the caller's roles (or, with
 * none, the default roles) are granted every requirement, by one of them (`any`) or by each (`all`,
 * where a role the grants do not know is a role without access). Answers why not, or undefined.
 */
export class GrantsCheck {
  private readonly logger = new Logger('MicrokubesAccessControl');

  constructor(
    private readonly builder: AccessControl,
    private readonly defaultRoles: readonly string[],
  ) {}

  refusal(required: readonly GrantRequirement[], match: 'any' | 'all', auth: Auth): string | undefined {
    const held = auth.roles.length > 0 ? auth.roles : this.defaultRoles;
    const known = held.filter((role) => this.builder.hasRole(role));
    if (known.length === 0) return 'access denied: no role of the caller is granted anything';
    if (match === 'all' && known.length < held.length) return 'access denied: not granted to every role of the caller';
    const granted = required.every((requirement) =>
      match === 'all' ? known.every((role) => this.isGranted(requirement, role)) : this.isGranted(requirement, known));
    if (granted) return undefined;
    return match === 'all' ? 'access denied: not granted to every role of the caller' : 'access denied: not granted';
  }

  private isGranted(requirement: GrantRequirement, role: string | string[]): boolean {
    try {
      return this.builder.permission({ ...requirement, possession: requirement.possession ?? 'any', role }).granted;
    } catch (error) {
      this.logger.error(`@UseRoles(${JSON.stringify(requirement)}) cannot be checked: ${(error as Error).message}`);
      return false;
    }
  }
}
