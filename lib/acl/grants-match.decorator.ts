import { SetMetadata } from '@nestjs/common';

export const GRANTS_MATCH_KEY = 'microkubes:grants-match';

/**
 * Which of the caller's roles `@UseRoles` needs granted, for AccessControlGuard: `any` (one role
 * granted is enough, nest-access-control's union and microkubes-python's `macl_check_any`) or
 * `all` (every role the caller holds, as `macl_check_all`: a role the grants do not know is a role
 * without access). On a method it replaces the class's; the default is `acl.grantsMatch`.
 */
export function GrantsMatch(match: 'any' | 'all'): MethodDecorator & ClassDecorator {
  if (match !== 'any' && match !== 'all') throw new Error(`@GrantsMatch(): must be "any" or "all" (got ${JSON.stringify(match)})`);
  return SetMetadata(GRANTS_MATCH_KEY, match);
}
