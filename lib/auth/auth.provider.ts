import { Scope, type FactoryProvider } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { MICROKUBES_AUTH } from '../microkubes.constants.js';
import { SecurityException } from '../security/security.exception.js';
import { graphqlRequest } from '../transports/call-callers.js';
import { Auth } from './auth.js';

/**
 * `@Inject(MICROKUBES_AUTH) auth: Auth` in a REQUEST-scoped consumer. Nest builds request-scoped
 * instances before guards run, so the value is a view that reads `request.user` when it is used,
 * by then set by MicrokubesAuthGuard. In a GraphQL app Nest's REQUEST is the operation's context:
 * the request behind it is read.
 */
export const authProvider: FactoryProvider<Auth> = {
  provide: MICROKUBES_AUTH,
  scope: Scope.REQUEST,
  inject: [REQUEST],
  useFactory: (request: { user?: unknown }) => authView(request),
};

const AUTH_MEMBERS = new Set<PropertyKey>([
  'userId', 'username', 'roles', 'organizations', 'namespaces', 'scopes', 'email', 'fullname',
  'customerId', 'clientId', 'strategy', 'claims',
  ...Object.getOwnPropertyNames(Auth.prototype).filter((name) => name !== 'constructor'),
]);

function authView(request: { user?: unknown }): Auth {
  const current = (): Auth => {
    const user = request.user ?? graphqlRequest(request)?.user;
    if (user instanceof Auth) return user;
    throw new SecurityException(401, 'not authenticated');
  };
  return new Proxy(Object.create(Auth.prototype) as Auth, {
    get(_target, property) {
      // Nest (awaiting the factory's value) and others probe for `then` and lifecycle hooks.
      if (!AUTH_MEMBERS.has(property)) return undefined;
      const auth = current();
      const value: unknown = Reflect.get(auth, property, auth);
      return typeof value === 'function' ? value.bind(auth) : value;
    },
    has: (_target, property) => Reflect.has(current(), property),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_target, property) => Reflect.getOwnPropertyDescriptor(current(), property),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
