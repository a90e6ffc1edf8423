import { RequestMethod, type Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { GRANTS_MATCH_KEY } from '../acl/grants-match.decorator.js';
import { ROLES_KEY, type RolesRequirement } from '../acl/roles.decorator.js';
import { SKIP_ACL_KEY } from '../acl/skip-acl.decorator.js';
import { USE_ROLES_KEY, type GrantRequirement } from '../acl/use-roles.decorator.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { AccessControlGuard } from '../guards/access-control.guard.js';
import { AclGuard } from '../guards/acl.guard.js';
import { MicrokubesAuthGuard } from '../guards/microkubes-auth.guard.js';
import { RolesGuard } from '../guards/roles.guard.js';
import { IS_PUBLIC_KEY } from '../security/public.decorator.js';

/**
 * What the module's guards enforce on one operation (a handler, an HTTP method, a path), read as
 * the guards read it: the same metadata, the same precedence, the same options.
 * - `secured`: every request without credentials is refused 401;
 * - `public`: none is (`@Public()`, a public route, an ignored method, `security.disable`);
 * - `partly-public`: the path has parameters, and a public route matches it for some of their
 *   values and not for others (the probes of its served paths).
 */
export interface RouteSecurity {
  access: 'secured' | 'public' | 'partly-public';
  /** `@Roles`, when RolesGuard guards the handler. */
  roles?: RolesRequirement;
  /** `@UseRoles`, when AccessControlGuard guards the handler. */
  grants?: { requirements: GrantRequirement[]; match: 'any' | 'all' };
  /** The ACL policies decide (MicrokubesAuthGuard with `acl.enforcePolicies`, or AclGuard). */
  policies: boolean;
  /** `security.oauth2.requiredScopes`: an OAuth2 token without them is refused 403. */
  scopes: readonly string[];
}

/** An operation of the document, by the handler that serves it. */
export interface DocumentedRoute {
  controller: Type;
  handler: object;
  /** The operation's method, lower case as in the document (`get`). */
  method: string;
  /**
   * Concrete paths the router serves for it (its parameters given values of different shapes):
   * a public route that matches some and not others makes it partly public.
   */
  probes: readonly string[];
}

/**
 * The security of a route, or undefined when none of the module's guards guards it (the
 * document says what it said). `globalGuards`: the app's global guards (instances).
 */
export function routeSecurity(route: DocumentedRoute, options: ResolvedMicrokubesOptions, globalGuards: readonly unknown[]): RouteSecurity | undefined {
  const { controller, handler } = route;
  const guards = [...globalGuards, ...guardsOf(controller), ...guardsOf(handler)];
  // A guard class, an instance, or a subclass of either.
  const guardedBy = (guard: Type) =>
    guards.some((entry) => entry === guard || entry instanceof guard || (typeof entry === 'function' && entry.prototype instanceof guard));
  // The handler's, else the class's: Reflector.getAllAndOverride, as the guards read it.
  const metadata = <T>(key: string): T | undefined =>
    (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);

  const authGuard = guardedBy(MicrokubesAuthGuard);
  const rolesGuard = guardedBy(RolesGuard);
  const grantsGuard = guardedBy(AccessControlGuard);
  const aclGuard = guardedBy(AclGuard);
  const skipAcl = metadata<boolean>(SKIP_ACL_KEY) === true;
  const roles = rolesGuard ? metadata<RolesRequirement>(ROLES_KEY) : undefined;
  const requirements = grantsGuard ? metadata<unknown>(USE_ROLES_KEY) : undefined;
  const grants =
    Array.isArray(requirements) && requirements.length > 0
      ? { requirements: requirements as GrantRequirement[], match: metadata<'any' | 'all'>(GRANTS_MATCH_KEY) ?? options.acl.grantsMatch }
      : undefined;
  const aclNeedsCaller = aclGuard && !skipAcl;
  if (!authGuard && !roles && !grants && !aclNeedsCaller) return undefined;

  // An access guard judges a caller: without one it refuses 401, whatever made the route public.
  const access = roles || grants || aclNeedsCaller ? 'secured' : authentication(route, options, metadata<boolean>(IS_PUBLIC_KEY));
  // MicrokubesAuthGuard checks the policies of every caller it authenticates, for itself or for an
  // access guard.
  const policies = !skipAcl && (aclGuard || (options.acl.enforcePolicies && access !== 'public'));
  return {
    access,
    ...(roles && { roles }),
    ...(grants && { grants }),
    policies,
    scopes: options.security.oauth2?.requiredScopes ?? [],
  };
}

/** What MicrokubesAuthGuard alone asks of a request to this route. */
function authentication(route: DocumentedRoute, options: ResolvedMicrokubesOptions, marked: boolean | undefined): RouteSecurity['access'] {
  const { security } = options;
  if (security.disabled || marked === true) return 'public';
  // Only on a handler declared for that very method (`@Options`), as the guard has it.
  const method = route.method.toUpperCase();
  const declared = Reflect.getMetadata(METHOD_METADATA, route.handler) as RequestMethod | undefined;
  if (security.ignoreHttpMethods.has(method) && declared === RequestMethod[method as keyof typeof RequestMethod]) return 'public';
  if (security.publicRoutes.length === 0) return 'secured';
  const isPublic = (path: string) => path.length <= security.maxPathLength && security.publicRoutes.some((pattern) => pattern.test(path));
  const answers = new Set(route.probes.map(isPublic));
  if (answers.size > 1) return 'partly-public';
  return answers.has(true) ? 'public' : 'secured';
}

function guardsOf(target: object): unknown[] {
  return (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];
}
