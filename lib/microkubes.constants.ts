/** Injection token of the caller's `Auth`, REQUEST-scoped: only its consumers pay for request scope. */
export const MICROKUBES_AUTH = Symbol('MICROKUBES_AUTH');

/** Injection token of the validated options, every default applied (`ResolvedMicrokubesOptions`). */
export const MICROKUBES_OPTIONS = Symbol('MICROKUBES_OPTIONS');

/** Injection token of the SAML service provider (`SamlServiceProvider`), null when SAML is off. */
export const SAML_SERVICE_PROVIDER = Symbol('SAML_SERVICE_PROVIDER');
