import type { AclPolicy } from '../lib/index.js';

/** 1,000 policies; the request under test (`GET /hello` of a `user`) is allowed by the last. */
export function thousandPolicies(): AclPolicy[] {
  const policies: AclPolicy[] = Array.from({ length: 999 }, (_, i) => ({
    id: `policy-${i}`,
    effect: i % 50 === 49 ? 'deny' : 'allow',
    subjects: ['<.+>'],
    resources: [i % 2 === 0 ? `/service-${i}/items/<[0-9]+>` : `/service-${i}/items`],
    actions: [i % 3 === 0 ? 'api:write' : 'api:read'],
    conditions: { roles: { type: 'RolesCondition', options: { values: ['user', `role-${i % 10}`] } } },
  }));
  policies.push({
    id: 'hello', effect: 'allow', subjects: ['<.+>'], resources: ['/hello', '/scoped'], actions: ['api:read'],
    conditions: { roles: { type: 'RolesCondition', options: { values: ['user'] } } },
  });
  return policies;
}
