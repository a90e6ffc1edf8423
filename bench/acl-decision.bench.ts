import { bench, describe } from 'vitest';
import { Auth, AclPolicySet } from '../lib/index.js';
import { thousandPolicies } from './acl-policies.js';

/**
 * One ACL decision among 1,000 compiled policies: the module's indexed policy set, side by side
 * with the naive alternative that tests every policy in turn (as ladon's in-memory manager does).
 */
const set = AclPolicySet.compile(thousandPolicies());
const auth = new Auth({
  userId: 'u1', username: 'ann@example.com', roles: ['user'], organizations: ['acme'], namespaces: [], scopes: ['api:read'], strategy: 'jwt', claims: {},
});
// A request that only the last policies can answer, and one that none allows.
const late = { auth, resource: '/service-998/items/42', action: 'api:read' };
const none = { auth, resource: '/nowhere', action: 'api:read' };

function linearScan(request: typeof late): boolean {
  let allowed = false;
  for (const policy of set.policies) {
    if (!policy.matches(request)) continue;
    if (policy.deny) return false;
    allowed = true;
  }
  return allowed;
}

describe('ACL: one decision among 1,000 policies (a match near the end)', () => {
  bench('AclPolicySet.decide (indexed by action, literal prefix first)', () => {
    set.decide(late);
  });
  bench('linear scan of every policy', () => {
    linearScan(late);
  });
});

describe('ACL: one decision among 1,000 policies (no policy allows)', () => {
  bench('AclPolicySet.decide (indexed by action, literal prefix first)', () => {
    set.decide(none);
  });
  bench('linear scan of every policy', () => {
    linearScan(none);
  });
});
