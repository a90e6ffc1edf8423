import { describe, expect, it } from 'vitest';
import { accessControlSettings } from '../../../lib/acl/access-control-grants.js';

describe('accessControlSettings', () => {
  it("converts microkubes-python's config, with its default roles", () => {
    const { builder, defaultRoles } = accessControlSettings({
      grants: {
        struct: { hello: ['create', 'read', 'update', 'delete'] },
        grants: { user: { hello: ['create', 'read', 'update'] }, admin: { hello: ['create', 'read', 'update', 'delete'] } },
        MACL_DEFFINITION: { roles: ['user', 'admin'] },
        MACL_DEFAULT_ROLES: ['user'],
      },
    });
    expect(defaultRoles).toEqual(['user']);
    const can = (role: string, action: string) => builder!.permission({ role, resource: 'hello', action, possession: 'any' }).granted;
    expect([can('user', 'read'), can('user', 'delete'), can('admin', 'delete')]).toEqual([true, false, true]);
  });

  it("takes nest-access-control's own grants as they are", () => {
    const { builder } = accessControlSettings({ grants: { user: { reports: { 'read:own': ['*'] } } }, defaultRoles: ['user'] });
    expect(builder!.permission({ role: 'user', resource: 'reports', action: 'read', possession: 'own' }).granted).toBe(true);
    expect(builder!.permission({ role: 'user', resource: 'reports', action: 'read', possession: 'any' }).granted).toBe(false);
  });

  it.each([
    [{ grants: { grants: { user: { hello: ['fly'] } } } }, 'unknown action "fly"'],
    [{ grants: { struct: { hello: ['read'] }, grants: { user: { hello: ['delete'] } } } }, '"delete" is not an action of struct.hello'],
    [{ grants: { struct: { hello: ['read'] }, grants: { user: { other: ['read'] } } } }, 'is not a resource of struct'],
    [{ grants: { MACL_DEFFINITION: { roles: ['user'] }, grants: { admin: { hello: ['read'] } } } }, 'is not among MACL_DEFFINITION.roles'],
    [{ defaultRoles: [''] }, 'acl.defaultRoles'],
  ])('refuses %j', (acl, problem) => {
    expect(() => accessControlSettings(acl as never)).toThrow(problem);
  });
});
