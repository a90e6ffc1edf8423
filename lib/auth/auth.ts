/** Which link of the security chain authenticated the caller. */
export type AuthStrategyName = 'jwt' | 'oauth2' | 'saml';

/** What a handler knows about its caller, from a verified token or session. */
export interface AuthFields {
  readonly userId: string;
  /** The user's email on the platform. */
  readonly username: string;
  readonly roles: readonly string[];
  readonly organizations: readonly string[];
  readonly namespaces: readonly string[];
  readonly scopes: readonly string[];
  readonly email?: string;
  readonly fullname?: string;
  readonly customerId?: string;
  /** The OAuth2 client the token was issued to (`sub` of an access token). */
  readonly clientId?: string;
  readonly strategy: AuthStrategyName;
  /** Every verified claim of the token, as issued. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The authenticated caller; the counterpart of microkubes-python's `Auth`. */
export class Auth implements AuthFields {
  declare readonly userId: string;
  declare readonly username: string;
  declare readonly roles: readonly string[];
  declare readonly organizations: readonly string[];
  declare readonly namespaces: readonly string[];
  declare readonly scopes: readonly string[];
  declare readonly email?: string;
  declare readonly fullname?: string;
  declare readonly customerId?: string;
  declare readonly clientId?: string;
  declare readonly strategy: AuthStrategyName;
  declare readonly claims: Readonly<Record<string, unknown>>;

  constructor(fields: AuthFields) {
    Object.assign(this, fields);
  }

  hasRole(role: string): boolean {
    return this.roles.includes(role);
  }

  hasScope(scope: string): boolean {
    return this.scopes.includes(scope);
  }
}
