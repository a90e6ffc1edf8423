import { Auth, type AuthStrategyName } from './auth.js';

/** A verified token whose claims do not make an `Auth`. */
export class ClaimsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimsError';
  }
}

/**
 * Maps a verified token's claims onto an `Auth` (PLATFORM.md section 2). `userId` and `username`
 * are required strings; `roles`, `organizations`, `namespaces` and `scopes` (or `scope`) may be a
 * string split on commas and/or white space, a list of strings, or null; `email`, `fullname` and
 * `customerID` are optional strings. Anything else of the wrong type is refused.
 */
export function authFromClaims(payload: unknown, strategy: AuthStrategyName): Auth {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ClaimsError('token payload is not a JSON object');
  }
  // Frozen: one Auth may answer many requests from the token cache; a handler must not change it.
  const claims = deepFreeze(payload as Record<string, unknown>);
  const scopes = [...claimList(claims, 'scopes'), ...claimList(claims, 'scope')];
  return new Auth({
    userId: requiredString(claims, 'userId'),
    username: requiredString(claims, 'username'),
    roles: Object.freeze(claimList(claims, 'roles')),
    organizations: Object.freeze(claimList(claims, 'organizations')),
    namespaces: Object.freeze(claimList(claims, 'namespaces')),
    scopes: Object.freeze([...new Set(scopes)]),
    email: optionalString(claims, 'email'),
    fullname: optionalString(claims, 'fullname'),
    customerId: optionalString(claims, 'customerID') ?? optionalString(claims, 'customerId'),
    clientId: strategy === 'oauth2' ? optionalString(claims, 'sub') : undefined,
    strategy,
    claims,
  });
}

/** A list claim: "a,b", "a b", "a, b", ["a", "b"]; entries trimmed, empties and duplicates dropped. */
export function claimList(claims: Record<string, unknown>, name: string): string[] {
  const value = claims[name];
  if (value === undefined || value === null) return [];
  let entries: string[];
  if (typeof value === 'string') {
    // Most often one plain word ("user"): no split needed.
    if (PLAIN_WORD.test(value)) return [value];
    entries = value.split(/[\s,]+/);
  } else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
    entries = value.map((entry) => entry.trim());
  } else {
    throw new ClaimsError(`claim "${name}" must be a string or a list of strings`);
  }
  return [...new Set(entries.filter((entry) => entry !== ''))];
}

const PLAIN_WORD = /^[^\s,]+$/;

function requiredString(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (value === undefined || value === null) throw new ClaimsError(`claim "${name}" is missing`);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ClaimsError(`claim "${name}" must be a non-empty string`);
  }
  return value;
}

function optionalString(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ClaimsError(`claim "${name}" must be a string`);
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const nested of Object.values(value)) {
    if (typeof nested === 'object' && nested !== null && !Object.isFrozen(nested)) deepFreeze(nested);
  }
  return Object.freeze(value);
}
