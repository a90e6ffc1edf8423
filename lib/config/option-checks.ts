import { MicrokubesOptionsError } from './microkubes-options.error.js';

/** Small validators shared by the option resolvers; each error names the option. */

export function stringList(value: unknown, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new MicrokubesOptionsError(path, 'must be a non-empty string or a list of them');
  }
  return list as string[];
}

export function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new MicrokubesOptionsError(path, 'must be a non-empty string');
  return value;
}

export function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new MicrokubesOptionsError(path, 'must be true or false');
  return value;
}

export function optionalArray<T>(value: T[] | undefined, path: string): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new MicrokubesOptionsError(path, 'must be an array');
  return value;
}

/**
 * A misspelt option is never ignored: `globalGuards` for `globalGuard` would otherwise leave every
 * route unauthenticated. Start-up fails, naming the option and the one it looks like.
 */
export function rejectUnknown(options: object, known: readonly string[], prefix: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const likely = closest(name, known);
    throw new MicrokubesOptionsError(
      `${prefix}${name}`,
      `is not an option${likely ? `; did you mean "${likely}"?` : ` (the options here: ${known.join(', ')})`}`,
    );
  }
}

/** The known name a typo most likely meant: the same but for case, or at most two edits away. */
function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.min(2, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance; option names are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalInteger(value: unknown, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MicrokubesOptionsError(path, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * A URL a document may show (the OpenAPI document's token and authorize URLs): absolute http(s),
 * or a path on the service's own server; nothing that could end an attribute or a code span.
 */
export function isDocumentUrl(url: string): boolean {
  if (/[\s<>"'`\\\u0000-\u001f\u007f]/.test(url)) return false;
  if (url.startsWith('/') && !url.startsWith('//')) return true;
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
