import { accessControlSettings, type AccessControlSettings } from '../acl/access-control-grants.js';
import { AclPolicySet } from '../acl/acl-policy.js';
import type { MicrokubesAclOptions } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalArray, optionalBoolean, rejectUnknown } from './option-checks.js';

export interface ResolvedAclOptions {
  accessControl: AccessControlSettings;
  /** Compiled once here; an invalid policy fails start-up, naming it. */
  policies?: AclPolicySet;
  enforcePolicies: boolean;
  globalGuards: boolean;
  /** `acl.disable`: policies are not checked at all. */
  policiesDisabled: boolean;
  /** Whether `@UseRoles` needs any or all of the caller's roles granted, where `@GrantsMatch` does not say. */
  grantsMatch: 'any' | 'all';
}

const KNOWN = ['grants', 'defaultRoles', 'grantsMatch', 'policies', 'enforcePolicies', 'globalGuards', 'disable'];

export function resolveAclOptions(acl: MicrokubesAclOptions | undefined, maxResourceLength?: number): ResolvedAclOptions {
  if (acl !== undefined && !isObject(acl)) throw new MicrokubesOptionsError('acl', 'must be an object');
  if (acl) rejectUnknown(acl, KNOWN, 'acl.');
  const policies = optionalArray(acl?.policies, 'acl.policies');
  const policiesDisabled = optionalBoolean(acl?.disable, 'acl.disable') ?? false;
  return {
    accessControl: accessControlSettings(acl),
    // Compiled even when disabled, so that a broken policy is found before it is switched on.
    policies: policies ? AclPolicySet.compile(policies, maxResourceLength) : undefined,
    enforcePolicies: !policiesDisabled && (optionalBoolean(acl?.enforcePolicies, 'acl.enforcePolicies') ?? policies !== undefined),
    globalGuards: optionalBoolean(acl?.globalGuards, 'acl.globalGuards') ?? false,
    policiesDisabled,
    grantsMatch: grantsMatch(acl?.grantsMatch),
  };
}

function grantsMatch(match: unknown): 'any' | 'all' {
  if (match === undefined) return 'any';
  if (match !== 'any' && match !== 'all') throw new MicrokubesOptionsError('acl.grantsMatch', `must be "any" or "all" (got ${JSON.stringify(match)})`);
  return match;
}
