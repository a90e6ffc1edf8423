import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { SecurityException } from '../security/security.exception.js';
import { actionOf, type AclDecision, type AclPolicySet, type AclRequest } from './acl-policy.js';
import { routedPath } from '../http/routed-path.js';

/** Marks a request whose policies were checked, so that a second guard does not check them again. */
const CHECKED = Symbol('microkubes:acl-checked');

interface PolicyCheckedRequest {
  method: string;
  url: string;
  params?: Record<string, unknown>;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
  [CHECKED]?: boolean;
}

/**
 * Decides requests against the platform ACL policies and logs, at debug level, which policy
 * allowed or denied. Also for handlers that must check a resource's owner once they have loaded
 * it (the Go library's `IsAllowed`): `enforcer.isAllowed({ auth, resource, action, context })`.
 */
@Injectable()
export class AclPolicyEnforcer {
  private readonly logger = new Logger('MicrokubesAcl');
  private readonly policies?: AclPolicySet;
  private readonly disabled: boolean;

  constructor(@Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions) {
    this.policies = options.acl.policies;
    this.disabled = options.acl.policiesDisabled;
  }

  isAllowed(request: AclRequest): AclDecision {
    if (!this.policies) return { allowed: false };
    return this.policies.decide(request);
  }

  /**
   * Checks an HTTP request once; a denial is a 403 in the platform's error format.
   * @internal MicrokubesAuthGuard and AclGuard call it
   */
  enforce(auth: Auth, request: PolicyCheckedRequest): void {
    if (request[CHECKED] || this.disabled) return;
    const resource = routedPath(request);
    const action = actionOf(request.method);
    if (!this.policies) {
      this.logger.error(`ACL policies are checked on ${request.method} ${resource}, but acl.policies is not configured: access denied`);
      throw new SecurityException(403, 'access denied: no ACL policies are configured');
    }
    if (resource === undefined) {
      this.logger.debug(`ACL denied ${action} ${JSON.stringify(request.url)} for ${auth.username}: the route's path cannot be told`);
      throw new SecurityException(403, 'access denied: the path cannot be judged');
    }
    const decision = this.policies.decide({ auth, resource, action, context: request.params });
    if (decision.resourceTooLong) {
      this.logger.debug(`ACL denied ${action} (a path of ${resource.length} characters) for ${auth.username}: longer than security.maxPathLength`);
      throw new SecurityException(403, 'access denied: the path is too long to be judged');
    }
    const verdict = decision.allowed ? 'allowed' : 'denied';
    const by = decision.policyId ? `by policy "${decision.policyId}"` : 'as no policy allows it';
    this.logger.debug(`ACL ${verdict} ${action} ${resource} for ${auth.username} ${by}`);
    if (!decision.allowed) {
      throw new SecurityException(403, decision.policyId ? 'access denied by policy' : 'access denied: no policy allows this request');
    }
    request[CHECKED] = true;
  }
}
