import type { Auth } from '../auth/auth.js';
import type { RolesRequirement } from './roles.decorator.js';

/** Why `auth` does not meet a `@Roles` requirement, or undefined when it does. */
export function rolesRefusal(requirement: RolesRequirement, auth: Auth): string | undefined {
  const granted = requirement.match === 'all'
    ? requirement.roles.every((role) => auth.hasRole(role))
    : requirement.roles.some((role) => auth.hasRole(role));
  if (granted) return undefined;
  const which = requirement.match === 'all' ? 'all of the roles' : requirement.roles.length > 1 ? 'one of the roles' : 'the role';
  return `access denied: requires ${which} ${requirement.roles.join(', ')}`;
}
