/** Injection token of the caller's `Auth`, REQUEST-scoped: only its consumers pay for request scope. */
export const MICROKUBES_AUTH = Symbol('MICROKUBES_AUTH');

/** Injection token of the validated options, every default applied (`ResolvedMicrokubesOptions`). */
export const MICROKUBES_OPTIONS = Symbol('MICROKUBES_OPTIONS');
