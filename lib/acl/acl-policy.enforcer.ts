import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import type { AccessTarget } from './access-target.js';
import type { AclDecision, AclPolicySet, AclRequest } from './acl-policy.js';

/**
 * Decides calls against the platform ACL policies and logs, at debug level, which policy allowed
 * or denied. Also for handlers that must check a resource's owner once they have loaded it (the Go
 * library's `IsAllowed`): `enforcer.isAllowed({ auth, resource, action, context })`.
 */
@Injectable()
export class AclPolicyEnforcer {
  private readonly logger = new Logger('MicrokubesAcl');
  private readonly policies?: AclPolicySet;
  private readonly disabled: boolean;
  /** Calls whose policies were checked, so that a second guard on the same call does not check them again. */
  private readonly checked = new WeakSet<object>();

  constructor(@Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions) {
    this.policies = options.acl.policies;
    this.disabled = options.acl.policiesDisabled;
  }

  isAllowed(request: AclRequest): AclDecision {
    if (!this.policies) return { allowed: false };
    return this.policies.decide(request);
  }

  /**
   * Why the policies refuse `auth` the `target` (any transport's), or undefined when they allow it.
   * `call` stands for the one call, checked once.
   * @internal the guards call it
   */
  refusal(auth: Auth, target: AccessTarget, call?: object): string | undefined {
    if (this.disabled || (call && this.checked.has(call))) return undefined;
    const { resource, action } = target;
    if (!this.policies) {
      this.logger.error(`ACL policies are checked on ${action} ${resource}, but acl.policies is not configured: access denied`);
      return 'access denied: no ACL policies are configured';
    }
    if (resource === undefined) {
      this.logger.debug(`ACL denied ${action} for ${auth.username}: the path cannot be told`);
      return 'access denied: the path cannot be judged';
    }
    const decision = this.policies.decide({ auth, resource, action, context: target.facts, ownerRequired: target.factsChosenByCaller === true });
    if (decision.resourceTooLong) {
      this.logger.debug(`ACL denied ${action} (a path of ${resource.length} characters) for ${auth.username}: longer than security.maxPathLength`);
      return 'access denied: the path is too long to be judged';
    }
    const verdict = decision.allowed ? 'allowed' : 'denied';
    const by = decision.policyId ? `by policy "${decision.policyId}"` : 'as no policy allows it';
    this.logger.debug(`ACL ${verdict} ${action} ${resource} for ${auth.username} ${by}`);
    if (!decision.allowed) return decision.policyId ? 'access denied by policy' : 'access denied: no policy allows this request';
    if (call) this.checked.add(call);
    return undefined;
  }
}
