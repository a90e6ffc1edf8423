import { AccessControl } from 'accesscontrol';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import type { AccessControlGrants, MicrokubesAclOptions, SeedAclConfig } from '../microkubes-options.interface.js';

const CRUD = ['create', 'read', 'update', 'delete'];

/** The grants behind `@UseRoles`, built once at start-up, and the roles of a caller who has none. */
export interface AccessControlSettings {
  builder?: AccessControl;
  defaultRoles: string[];
}

/**
 * Builds the grants (accesscontrol's AccessControl, which nest-access-control's RolesBuilder
 * extends) from `acl.grants`: accesscontrol's format, or microkubes-python's (`struct`, `grants`
 * as role -> resource -> actions, `MACL_DEFAULT_ROLES`), converted.
 */
export function accessControlSettings(acl: MicrokubesAclOptions | undefined): AccessControlSettings {
  const grants = acl?.grants;
  let defaultRoles = acl?.defaultRoles;
  if (defaultRoles !== undefined && (!Array.isArray(defaultRoles) || defaultRoles.some((role) => typeof role !== 'string' || role === ''))) {
    throw new MicrokubesOptionsError('acl.defaultRoles', 'must be a list of role names');
  }
  if (grants === undefined) return { defaultRoles: defaultRoles ?? [] };
  let rows: AccessControlGrants = grants as AccessControlGrants;
  if (isSeedConfig(grants)) {
    rows = seedGrants(grants);
    defaultRoles ??= grants.MACL_DEFAULT_ROLES ?? [];
  }
  try {
    return { builder: new AccessControl(rows as ConstructorParameters<typeof AccessControl>[0]), defaultRoles: defaultRoles ?? [] };
  } catch (error) {
    throw new MicrokubesOptionsError('acl.grants', (error as Error).message);
  }
}

/** The seed's shape: a `grants` map of role -> resource -> list of plain actions. */
function isSeedConfig(grants: unknown): grants is SeedAclConfig {
  const inner = (grants as { grants?: unknown } | null)?.grants;
  return (
    typeof inner === 'object' && inner !== null && !Array.isArray(inner) &&
    Object.values(inner).every((resources) => typeof resources === 'object' && resources !== null &&
      Object.values(resources).every((actions) => Array.isArray(actions)))
  );
}

function seedGrants(config: SeedAclConfig): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  const declaredRoles = config.MACL_DEFFINITION?.roles;
  for (const [role, resources] of Object.entries(config.grants)) {
    if (declaredRoles && !declaredRoles.includes(role)) {
      throw new MicrokubesOptionsError(`acl.grants.grants.${role}`, 'is not among MACL_DEFFINITION.roles');
    }
    for (const [resource, actions] of Object.entries(resources)) {
      const known = config.struct?.[resource];
      if (config.struct && !known) throw new MicrokubesOptionsError(`acl.grants.grants.${role}.${resource}`, 'is not a resource of struct');
      for (const action of actions) {
        if (!CRUD.includes(action)) {
          throw new MicrokubesOptionsError(`acl.grants.grants.${role}.${resource}`, `unknown action "${action}" (use ${CRUD.join(', ')})`);
        }
        if (known && !known.includes(action)) {
          throw new MicrokubesOptionsError(`acl.grants.grants.${role}.${resource}`, `"${action}" is not an action of struct.${resource}`);
        }
        rows.push({ role, resource, action: `${action}:any`, attributes: '*' });
      }
    }
  }
  return rows;
}
