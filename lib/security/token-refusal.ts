import type { AuthStrategyName } from '../auth/auth.js';

/**
 * Why a strategy did not authenticate a request:
 * - `missing`: no token where this strategy looks;
 * - `declined`: a token that belongs to another strategy of the chain;
 * - `invalid`: a token that was presented and refused (RFC 6750 `invalid_token`);
 * - `insufficient_scope`: a valid token without the scopes the route needs (RFC 6750, 403).
 */
export type RefusalKind = 'missing' | 'declined' | 'invalid' | 'insufficient_scope';

/**
 * Why, in one word of a fixed set: what telemetry counts refusals by (the message may name a
 * header or an algorithm; this never holds anything the caller chose).
 */
export type RefusalReason =
  | 'missing'
  | 'malformed'
  | 'ambiguous'
  | 'algorithm'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'unknown_key'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'scope'
  | 'revoked'
  | 'replay'
  | 'unavailable'
  | 'other';

/** Every reason, in the order the docs list them. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'missing', 'malformed', 'ambiguous', 'algorithm', 'expired', 'not_yet_valid', 'bad_signature', 'unknown_key',
  'issuer', 'audience', 'claims', 'scope', 'revoked', 'replay', 'unavailable', 'other',
];

/**
 * A strategy's refusal: passed to passport's `fail()`, never thrown to the client as is. Without a
 * stack: it is an answer, not a fault, and a flood of bad tokens would otherwise pay a stack
 * capture for each of several refusals per request.
 */
export class TokenRefusal extends Error {
  readonly kind: RefusalKind;
  readonly reason: RefusalReason;
  /** The strategy whose refusal this is, when one of the chain's judged the credential (telemetry's label). */
  strategy?: AuthStrategyName;

  constructor(
    message: string,
    /** The reason (its kind follows: `scope` is `insufficient_scope`), or only the kind. */
    why: RefusalReason | RefusalKind = 'other',
    /** The scopes that were required, for an `insufficient_scope` challenge. */
    readonly scopes: readonly string[] = [],
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'TokenRefusal';
    this.kind = kindOf(why);
    this.reason = why === 'declined' ? 'issuer' : why === 'invalid' ? 'other' : why === 'insufficient_scope' ? 'scope' : why;
  }

  /** This refusal, as the judgement of `strategy`. */
  by(strategy: AuthStrategyName): this {
    this.strategy = strategy;
    return this;
  }
}

function kindOf(why: RefusalReason | RefusalKind): RefusalKind {
  if (why === 'missing' || why === 'declined' || why === 'insufficient_scope') return why;
  return why === 'scope' ? 'insufficient_scope' : 'invalid';
}

/**
 * Which of several refusals tells the caller most: a concrete one over "missing" or "declined".
 * When nothing was presented, every credential the chain looked for is named.
 */
export function mostTelling(refusals: readonly TokenRefusal[]): TokenRefusal {
  const rank: Record<RefusalKind, number> = { insufficient_scope: 3, invalid: 2, missing: 1, declined: 0 };
  const best = refusals.reduce<TokenRefusal>(
    (best, next) => (rank[next.kind] > rank[best.kind] ? next : best),
    new TokenRefusal('missing bearer token', 'missing'),
  );
  const missing = [...new Set(refusals.filter((refusal) => refusal.kind === 'missing').map((refusal) => refusal.message))];
  return best.kind === 'missing' && missing.length > 1 ? new TokenRefusal(missing.join(' or '), 'missing') : best;
}
