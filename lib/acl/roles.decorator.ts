import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'microkubes:roles';

export interface RolesRequirement {
  roles: string[];
  /** `any` (default): one of the roles will do; `all`: every one is needed. */
  match: 'any' | 'all';
}

/**
 * The roles a caller needs, checked by RolesGuard: `@Roles('admin', 'editor')` (any of them) or
 * `@Roles({ roles: ['admin', 'auditor'], match: 'all' })`. On a method it replaces the class's.
 */
export function Roles(...roles: string[]): MethodDecorator & ClassDecorator;
export function Roles(requirement: { roles: string[]; match?: 'any' | 'all' }): MethodDecorator & ClassDecorator;
export function Roles(...args: Array<string | { roles: string[]; match?: 'any' | 'all' }>): MethodDecorator & ClassDecorator {
  const [first] = args;
  const requirement: RolesRequirement =
    typeof first === 'object' ? { roles: [...first.roles], match: first.match ?? 'any' } : { roles: args as string[], match: 'any' };
  if (requirement.roles.length === 0 || requirement.roles.some((role) => typeof role !== 'string' || role === '')) {
    throw new Error('@Roles() needs at least one role name');
  }
  if (requirement.match !== 'any' && requirement.match !== 'all') {
    throw new Error(`@Roles(): match must be "any" or "all" (got ${JSON.stringify(requirement.match)})`);
  }
  return SetMetadata(ROLES_KEY, requirement);
}
