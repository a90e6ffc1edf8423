import { Logger } from '@nestjs/common';
import type { Auth } from '../auth/auth.js';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import { rejectUnknown } from '../config/option-checks.js';
import type { AclPolicy } from '../microkubes-options.interface.js';
import { PolicyPattern } from './policy-pattern.js';

/** What a policy is asked about: who, which path, which action, and request facts for conditions. */
export interface AclRequest {
  auth: Auth;
  /** The request path. */
  resource: string;
  /** `api:read` or `api:write`. */
  action: string;
  /** Facts for OwnerCondition, e.g. the route's parameters. */
  context?: Readonly<Record<string, unknown>>;
  /** An OwnerCondition whose fact is missing does not hold (facts the caller chose, not a route's). */
  ownerRequired?: boolean;
}

export interface AclDecision {
  allowed: boolean;
  /** The policy that decided: the deny that matched, or the first allow. */
  policyId?: string;
  /** Denied unjudged: the resource is longer than the longest path judged (`security.maxPathLength`). */
  resourceTooLong?: true;
}

type ListCondition = { kind: 'list'; field: 'roles' | 'scopes' | 'organizations' | 'namespaces'; values: PolicyPattern[] };
type OwnerCondition = { kind: 'owner'; key: string };
type CompiledCondition = ListCondition | OwnerCondition;

/**
 * A ladon policy's fields. Any other fails start-up, from a service config too: a misspelt
 * `conditions` would otherwise drop the policy's conditions and allow everyone.
 */
const POLICY_FIELDS = ['id', 'description', 'effect', 'subjects', 'resources', 'actions', 'conditions', 'meta'];

const LIST_CONDITIONS: Record<string, ListCondition['field']> = {
  RolesCondition: 'roles',
  ScopesCondition: 'scopes',
  OrganizationsCondition: 'organizations',
  NamespacesCondition: 'namespaces',
};

/** One policy, compiled once: its patterns and conditions ready to test. */
export class CompiledPolicy {
  readonly deny: boolean;
  readonly subjects: PolicyPattern[];
  readonly resources: PolicyPattern[];
  readonly actions: PolicyPattern[];
  private readonly conditions: CompiledCondition[];

  constructor(readonly policy: AclPolicy, index: number) {
    const name = `acl.policies[${index}]${typeof policy?.id === 'string' ? ` (${policy.id})` : ''}`;
    if (typeof policy !== 'object' || policy === null) throw new MicrokubesOptionsError(name, 'must be a policy object');
    if (typeof policy.id !== 'string' || policy.id === '') throw new MicrokubesOptionsError(`${name}.id`, 'must be a non-empty string');
    rejectUnknown(policy, POLICY_FIELDS, `${name}.`);
    if (policy.effect !== 'allow' && policy.effect !== 'deny') {
      throw new MicrokubesOptionsError(`${name}.effect`, 'must be "allow" or "deny"');
    }
    this.deny = policy.effect === 'deny';
    this.subjects = patterns(policy.subjects, `${name}.subjects`);
    this.resources = patterns(policy.resources, `${name}.resources`);
    this.actions = patterns(policy.actions, `${name}.actions`);
    this.conditions = Object.entries(policy.conditions ?? {}).map(([key, condition]) => compileCondition(key, condition, `${name}.conditions.${key}`));
  }

  get id(): string {
    return this.policy.id;
  }

  /** Whether this policy speaks to the request: subject, resource and action match, every condition holds. */
  matches(request: AclRequest): boolean {
    return (
      this.resources.some((pattern) => pattern.test(request.resource)) &&
      this.subjects.some((pattern) => pattern.test(request.auth.username)) &&
      this.actions.some((pattern) => pattern.test(request.action)) &&
      this.conditions.every((condition) => holds(condition, request))
    );
  }
}

/** Policies by the first path segment their resources can match, so a decision skips the rest. */
class SegmentIndex {
  private readonly bySegment = new Map<string, CompiledPolicy[]>();
  private readonly anySegment: CompiledPolicy[] = [];

  add(policy: CompiledPolicy): void {
    const segments = policy.resources.map(segmentOf);
    if (segments.some((segment) => segment === undefined)) {
      this.anySegment.push(policy);
      return;
    }
    for (const segment of new Set(segments as string[])) {
      const bucket = this.bySegment.get(segment) ?? [];
      bucket.push(policy);
      this.bySegment.set(segment, bucket);
    }
  }

  candidates(resource: string): Array<readonly CompiledPolicy[] | undefined> {
    const slash = resource.indexOf('/', 1);
    return [this.bySegment.get(slash === -1 ? resource : resource.slice(0, slash)), this.anySegment];
  }
}

/**
 * The compiled policies. Each is judged on its own (facts of different policies never mix); a
 * matching deny wins; without a matching allow the answer is deny. Policies are indexed by literal
 * action and by the first segment of their resources, so that a decision tests only those that
 * can apply.
 */
export class AclPolicySet {
  private readonly byAction = new Map<string, SegmentIndex>();
  private readonly anyAction = new SegmentIndex();

  constructor(
    readonly policies: readonly CompiledPolicy[],
    /** Longer resources are denied without a look at the policies. */
    readonly maxResourceLength = Number.POSITIVE_INFINITY,
  ) {
    for (const policy of policies) {
      if (!policy.actions.every((action) => action.isLiteral)) {
        this.anyAction.add(policy);
        continue;
      }
      for (const action of new Set(policy.actions.map((pattern) => pattern.source))) {
        const index = this.byAction.get(action) ?? new SegmentIndex();
        index.add(policy);
        this.byAction.set(action, index);
      }
    }
  }

  static compile(policies: readonly AclPolicy[], maxResourceLength?: number): AclPolicySet {
    const compiled = policies.map((policy, i) => new CompiledPolicy(policy, i));
    const ids = new Set<string>();
    for (const [i, policy] of compiled.entries()) {
      if (ids.has(policy.id)) throw new MicrokubesOptionsError(`acl.policies[${i}] (${policy.id}).id`, 'is used by another policy');
      ids.add(policy.id);
    }
    return new AclPolicySet(compiled, maxResourceLength);
  }

  decide(request: AclRequest): AclDecision {
    if (request.resource.length > this.maxResourceLength) return { allowed: false, resourceTooLong: true };
    let allowedBy: string | undefined;
    const buckets = [...(this.byAction.get(request.action)?.candidates(request.resource) ?? []), ...this.anyAction.candidates(request.resource)];
    for (const bucket of buckets) {
      for (const policy of bucket ?? []) {
        if (!policy.matches(request)) continue;
        if (policy.deny) return { allowed: false, policyId: policy.id };
        allowedBy ??= policy.id;
      }
    }
    return { allowed: allowedBy !== undefined, policyId: allowedBy };
  }
}

/** The first path segment (`/todo` of `/todo/<.+>`) that a pattern fixes, if it fixes one. */
function segmentOf(pattern: PolicyPattern): string | undefined {
  const fixed = pattern.isLiteral ? pattern.source : pattern.prefix;
  if (!fixed.startsWith('/')) return undefined;
  const slash = fixed.indexOf('/', 1);
  if (slash !== -1) return fixed.slice(0, slash);
  return pattern.isLiteral ? fixed : undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The platform's actions: GET and HEAD (and OPTIONS) read; POST, PUT, PATCH, DELETE and every
 * other method (MOVE, COPY, PURGE...) write, so that an unusual method never passes as a read.
 */
export function actionOf(method: string): string {
  return READ_METHODS.has(method.toUpperCase()) ? 'api:read' : 'api:write';
}

function patterns(values: unknown, option: string): PolicyPattern[] {
  if (!Array.isArray(values) || values.length === 0 || values.some((value) => typeof value !== 'string' || value === '')) {
    throw new MicrokubesOptionsError(option, 'must be a non-empty list of strings');
  }
  return values.map((value: string, i) => {
    try {
      return new PolicyPattern(value);
    } catch (error) {
      throw new MicrokubesOptionsError(`${option}[${i}]`, `"${value}" is not a valid pattern: ${(error as Error).message}`);
    }
  });
}

function compileCondition(key: string, condition: unknown, option: string): CompiledCondition {
  if (typeof condition !== 'object' || condition === null) throw new MicrokubesOptionsError(option, 'must be a condition object { type, options }');
  rejectUnknown(condition, ['type', 'options'], `${option}.`);
  const { type, options } = condition as { type?: unknown; options?: { values?: unknown } };
  if (type === 'OwnerCondition') return { kind: 'owner', key };
  const field = typeof type === 'string' ? LIST_CONDITIONS[type] : undefined;
  if (!field) {
    throw new MicrokubesOptionsError(
      `${option}.type`,
      `unknown condition type ${JSON.stringify(type)} (use ${[...Object.keys(LIST_CONDITIONS), 'OwnerCondition'].join(', ')})`,
    );
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new MicrokubesOptionsError(`${option}.options`, 'must be { values: [...] }');
  rejectUnknown(options ?? {}, ['values'], `${option}.options.`);
  const values = patterns(options?.values, `${option}.options.values`);
  for (const value of values) {
    // The Go library matched condition values as bare regexes; here they are literal unless in <>.
    if (value.isLiteral && /[.*+?^$()[\]{}|\\]/.test(value.source)) {
      new Logger('MicrokubesAcl').warn(`${option}: "${value.source}" is compared literally; write <${value.source}> to match it as a regular expression`);
    }
  }
  return { kind: 'list', field, values };
}

function holds(condition: CompiledCondition, request: AclRequest): boolean {
  if (condition.kind === 'list') {
    return request.auth[condition.field].some((value) => condition.values.some((pattern) => pattern.test(value)));
  }
  // As the Go library: no owner in a route's facts, nothing to check. Where the caller chose the
  // facts (a resolver's arguments, a message), leaving the owner out must not pass.
  const owner = request.context?.[condition.key];
  if (owner === undefined || owner === null) return !request.ownerRequired;
  return owner === request.auth.username || owner === request.auth.userId;
}
