import { describe, expect, it } from 'vitest';
import { Auth, AclPolicySet, actionOf, type AclPolicy } from '../../../lib/index.js';
import { PolicyPattern } from '../../../lib/acl/policy-pattern.js';

const auth = (fields: Partial<Auth> = {}) =>
  new Auth({ userId: 'u1', username: 'ann@example.com', roles: ['user'], organizations: [], namespaces: [], scopes: [], strategy: 'jwt', claims: {}, ...fields });

describe('PolicyPattern', () => {
  it.each([
    ['/todo', '/todo', true],
    ['/todo', '/todo/1', false],
    ['/todo/<.+>', '/todo/1', true],
    ['/todo/<.+>', '/todo/', false],
    ['/todo/<[0-9]+>', '/todo/12a', false],
    ['/todo/<[0-9]+>/items/<.*>', '/todo/3/items/', true],
    ['api:<read|write>', 'api:write', true],
    ['api:<read|write>', 'api:writer', false],
    ['<.+>', 'anyone@example.com', true],
    ['a.b', 'axb', false],
    ['<[a-z]{2,3}>-<(x|y)>', 'ab-y', true],
    ['<a<b>c>', 'a<b>c', true],
  ])('%s on %s: %s', (pattern, value, matches) => {
    expect(new PolicyPattern(pattern).test(value)).toBe(matches);
  });

  it('keeps the literal prefix for a cheap first test', () => {
    expect(new PolicyPattern('/todo/<.+>').prefix).toBe('/todo/');
    expect(new PolicyPattern('<.+>/x').prefix).toBe('');
    expect(new PolicyPattern('/todo').isLiteral).toBe(true);
  });

  it('refuses unbalanced delimiters and invalid regex parts, including parts that would break the anchoring', () => {
    expect(() => new PolicyPattern('/x/<.+')).toThrow('unbalanced');
    expect(() => new PolicyPattern('/x/<[>')).toThrow();
    expect(() => new PolicyPattern('<a)|(b>')).toThrow();
  });
});

describe('AclPolicySet', () => {
  const allow = (id: string, extra: Partial<AclPolicy> = {}): AclPolicy => ({ id, effect: 'allow', subjects: ['<.+>'], resources: ['/todo/<.+>'], actions: ['api:read'], ...extra });

  it('maps HTTP methods to the platform actions', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'MOVE', 'PURGE', 'get'].map(actionOf)).toEqual([
      'api:read', 'api:read', 'api:read', 'api:write', 'api:write', 'api:write', 'api:write', 'api:write', 'api:write', 'api:read',
    ]);
  });

  it('denies when no policy matches, allows on a match, and a deny wins', () => {
    const set = AclPolicySet.compile([allow('a'), { ...allow('d'), effect: 'deny', subjects: ['eve@example.com'] }]);
    expect(set.decide({ auth: auth(), resource: '/todo/1', action: 'api:read' })).toEqual({ allowed: true, policyId: 'a' });
    expect(set.decide({ auth: auth(), resource: '/todo/1', action: 'api:write' })).toEqual({ allowed: false, policyId: undefined });
    expect(set.decide({ auth: auth({ username: 'eve@example.com' }), resource: '/todo/1', action: 'api:read' })).toEqual({ allowed: false, policyId: 'd' });
  });

  it('judges each policy on its own: facts of two policies never combine', () => {
    // One policy wants role admin on /a, the other role user on /b: a user may not reach /a.
    const set = AclPolicySet.compile([
      allow('admins-a', { resources: ['/a'], conditions: { r: { type: 'RolesCondition', options: { values: ['admin'] } } } }),
      allow('users-b', { resources: ['/b'], conditions: { r: { type: 'RolesCondition', options: { values: ['user'] } } } }),
    ]);
    expect(set.decide({ auth: auth(), resource: '/a', action: 'api:read' }).allowed).toBe(false);
    expect(set.decide({ auth: auth(), resource: '/b', action: 'api:read' }).allowed).toBe(true);
  });

  it('needs every condition of a policy, and any value of each', () => {
    const set = AclPolicySet.compile([allow('p', {
      conditions: {
        roles: { type: 'RolesCondition', options: { values: ['user', 'admin'] } },
        orgs: { type: 'OrganizationsCondition', options: { values: ['<acme|globex>'] } },
      },
    })]);
    const decide = (fields: Partial<Auth>) => set.decide({ auth: auth(fields), resource: '/todo/1', action: 'api:read' }).allowed;
    expect(decide({ organizations: ['globex'] })).toBe(true);
    expect(decide({ organizations: ['initech'] })).toBe(false);
    expect(decide({ roles: ['guest'], organizations: ['acme'] })).toBe(false);
  });

  it('OwnerCondition: the owner fact must be the caller, and an absent fact passes (as in the Go library)', () => {
    const set = AclPolicySet.compile([allow('own', { conditions: { owner: { type: 'OwnerCondition' } } })]);
    const decide = (context?: Record<string, unknown>) => set.decide({ auth: auth(), resource: '/todo/1', action: 'api:read', context }).allowed;
    expect(decide({ owner: 'u1' })).toBe(true);
    expect(decide({ owner: 'ann@example.com' })).toBe(true);
    expect(decide({ owner: 'u2' })).toBe(false);
    expect(decide({})).toBe(true);
  });

  it('OwnerCondition on facts the caller chose (arguments, a message): an absent or nested owner does not pass', () => {
    const set = AclPolicySet.compile([allow('own', { conditions: { owner: { type: 'OwnerCondition' } } })]);
    const decide = (context?: Record<string, unknown>) => set.decide({ auth: auth(), resource: '/todo/1', action: 'api:read', context, ownerRequired: true }).allowed;
    expect(decide({ owner: 'u1' })).toBe(true);
    expect(decide({ owner: 'u2' })).toBe(false);
    expect(decide({})).toBe(false);
    expect(decide(undefined)).toBe(false);
    expect(decide({ owner: null })).toBe(false);
    expect(decide({ input: { owner: 'u1' } })).toBe(false);
    expect(decide({ owner: ['u1'] })).toBe(false);
  });

  it.each([
    ['admin', ['admin']],
    ['admin and user', ['admin', 'user']],
    ['user', ['user']],
    ['system', ['system']],
    ['no role', []],
  ])('OwnerCondition: a caller with role(s) %s is denied the resource of another user, and the owner is allowed', (_roles, roles) => {
    const set = AclPolicySet.compile([allow('own', { conditions: { owner: { type: 'OwnerCondition' } } })]);
    const decide = (caller: Partial<Auth>, owner: string) =>
      set.decide({ auth: auth({ roles, ...caller }), resource: '/todo/1', action: 'api:read', context: { owner } });
    // Bob (u2) owns the resource: Ann, whatever her roles, is not him.
    expect(decide({}, 'u2')).toEqual({ allowed: false, policyId: undefined });
    expect(decide({}, 'bob@example.com')).toEqual({ allowed: false, policyId: undefined });
    // Bob himself, with the same roles, by his id or by his username.
    expect(decide({ userId: 'u2', username: 'bob@example.com' }, 'u2')).toEqual({ allowed: true, policyId: 'own' });
    expect(decide({ userId: 'u2', username: 'bob@example.com' }, 'bob@example.com')).toEqual({ allowed: true, policyId: 'own' });
  });

  it('finds policies with regex actions as well as indexed literal ones', () => {
    const set = AclPolicySet.compile([
      allow('literal'),
      { ...allow('regex', { actions: ['api:<.*>'] }), effect: 'deny', resources: ['/todo/secret'] },
    ]);
    expect(set.decide({ auth: auth(), resource: '/todo/secret', action: 'api:read' })).toEqual({ allowed: false, policyId: 'regex' });
    expect(set.decide({ auth: auth(), resource: '/todo/open', action: 'api:read' })).toEqual({ allowed: true, policyId: 'literal' });
  });

  it('refuses two policies with one id', () => {
    expect(() => AclPolicySet.compile([allow('p'), allow('p')])).toThrow('Invalid MicrokubesModule option "acl.policies[1] (p).id": is used by another policy');
  });
});

describe('@Roles', () => {
  it('refuses an unknown match mode', async () => {
    const { Roles } = await import('../../../lib/index.js');
    expect(() => Roles({ roles: ['admin'], match: 'ALL' as 'all' })).toThrow('match must be "any" or "all"');
    expect(() => Roles()).toThrow('at least one role');
  });
});
