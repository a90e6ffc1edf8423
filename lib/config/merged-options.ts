/**
 * `base` with `overrides` laid over it: plain objects are merged key by key, anything else
 * (arrays, `false`, class instances such as Redis clients or RegExps) replaces what was there;
 * `undefined` leaves it.
 */
export function mergeOptions<T extends object>(base: T, overrides: object): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(current) ? mergeOptions(current, value) : value;
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
