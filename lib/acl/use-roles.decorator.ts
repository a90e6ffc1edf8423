import { SetMetadata } from '@nestjs/common';

/** The metadata key of nest-access-control's `@UseRoles`, read by AccessControlGuard: either decorator works. */
export const USE_ROLES_KEY = 'roles';

/** What a route needs granted (nest-access-control's `Role`): an action on a resource, of one's own or of any. */
export interface GrantRequirement {
  resource?: string;
  action?: 'create' | 'read' | 'update' | 'delete';
  /** `own` is granted by `own` or `any` grants. Default `any`. */
  possession?: 'own' | 'any';
}

/**
 * The grants a route needs, each of them (`@UseRoles({ resource: 'reports', action: 'read' })`),
 * checked by AccessControlGuard against `acl.grants`. The same metadata as nest-access-control's
 * `@UseRoles`, so that code written for it keeps working, without the package and its peers.
 */
export const UseRoles = (...requirements: GrantRequirement[]): MethodDecorator & ClassDecorator => SetMetadata(USE_ROLES_KEY, requirements);
