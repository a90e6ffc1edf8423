import { describe, expect, it } from 'vitest';
import { Auth, authFromClaims, claimList, ClaimsError } from '../../../lib/index.js';

describe('claimList', () => {
  it.each([
    ['user,admin', ['user', 'admin']],
    ['user, admin', ['user', 'admin']],
    ['api:read api:write', ['api:read', 'api:write']],
    [' user ,, admin , ', ['user', 'admin']],
    ['user\tadmin\nops', ['user', 'admin', 'ops']],
    ['', []],
    [['user', ' admin ', ''], ['user', 'admin']],
    [['a', 'a', 'b'], ['a', 'b']],
    [null, []],
    [undefined, []],
  ])('reads %j as %j', (value, expected) => {
    expect(claimList({ roles: value }, 'roles')).toEqual(expected);
  });

  it.each([5, true, { a: 1 }, [1], ['a', 2]])('refuses %j', (value) => {
    expect(() => claimList({ roles: value }, 'roles')).toThrow(ClaimsError);
  });
});

describe('authFromClaims', () => {
  const base = { userId: 'u1', username: 'ann@example.com' };

  it('maps the platform claims onto an Auth and keeps the claims', () => {
    const claims = { ...base, roles: 'user,admin', organizations: '', namespaces: null, scopes: 'api:read', scope: 'api:write api:read', customerID: 'c9', sub: 'client' };
    const auth = authFromClaims(claims, 'jwt');
    expect(auth).toBeInstanceOf(Auth);
    expect(auth).toMatchObject({ userId: 'u1', username: 'ann@example.com', roles: ['user', 'admin'], organizations: [], namespaces: [], scopes: ['api:read', 'api:write'], customerId: 'c9', strategy: 'jwt' });
    expect(auth.clientId).toBeUndefined();
    expect(auth.claims).toBe(claims);
    expect(auth.hasRole('admin')).toBe(true);
    expect(auth.hasScope('api:write')).toBe(true);
  });

  it('freezes its lists and claims: one Auth may answer many requests from the cache', () => {
    const auth = authFromClaims({ ...base, roles: 'user', extra: { nested: [1] } }, 'jwt');
    expect(() => (auth.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => ((auth.claims.extra as { nested: number[] }).nested.push(2))).toThrow(TypeError);
    expect(Object.isFrozen(auth.claims)).toBe(true);
  });

  it('takes clientId from sub for OAuth2 tokens', () => {
    expect(authFromClaims({ ...base, sub: 'client-1' }, 'oauth2').clientId).toBe('client-1');
  });

  it.each([
    [{ username: 'x' }, 'claim "userId" is missing'],
    [{ userId: 'u1' }, 'claim "username" is missing'],
    [{ ...base, userId: '  ' }, 'claim "userId" must be a non-empty string'],
    [{ ...base, userId: 7 }, 'claim "userId" must be a non-empty string'],
    [{ ...base, fullname: ['A'] }, 'claim "fullname" must be a string'],
    [{ ...base, customerID: 1 }, 'claim "customerID" must be a string'],
  ])('refuses %j', (claims, message) => {
    expect(() => authFromClaims(claims, 'jwt')).toThrow(message);
  });

  it('refuses a client id that is not a string', () => {
    expect(() => authFromClaims({ ...base, sub: 5 }, 'oauth2')).toThrow('claim "sub" must be a string');
  });

  it.each([null, 5, 'text', [base]])('refuses the payload %j', (payload) => {
    expect(() => authFromClaims(payload, 'jwt')).toThrow('token payload is not a JSON object');
  });
});
