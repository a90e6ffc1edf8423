import type { SecurityRequirementObject, SecuritySchemeObject } from '@nestjs/swagger';
import type { ResolvedSecurityOptions, ResolvedTokenOptions } from '../config/resolved-options.js';

/** The names of the module's security schemes in `components.securitySchemes`. */
export const SCHEME_NAMES = { jwt: 'jwt', oauth2: 'oauth2', saml: 'saml' } as const;

/**
 * The security schemes of the strategies that are on, as a client must present them: a bearer
 * JWT (or, with another header or scheme, that header), OAuth2 with the authorization server's
 * URLs (a bearer JWT when they are not known), and the SAML session cookie.
 */
export function securitySchemes(security: ResolvedSecurityOptions): Record<string, SecuritySchemeObject> {
  const schemes: Record<string, SecuritySchemeObject> = {};
  const { jwt, oauth2, saml } = security;
  if (jwt) {
    const signIn = jwt.tokenUrl ? ` Sign in at \`${jwt.tokenUrl}\` for one.` : '';
    schemes[SCHEME_NAMES.jwt] = tokenScheme(jwt, `A JWT of the platform's jwt-issuer${issuers(jwt)}.${signIn}`);
  }
  if (oauth2) {
    const required = oauth2.requiredScopes.length > 0 && !oauth2.tokenUrl ? ` It must carry the scopes ${oauth2.requiredScopes.map((scope) => `\`${scope}\``).join(', ')}.` : '';
    const description = `An OAuth2 access token, a JWT of the authorization server${issuers(oauth2)}.${required}`;
    const scopes = Object.fromEntries(oauth2.requiredScopes.map((scope) => [scope, 'required by every secured operation']));
    schemes[SCHEME_NAMES.oauth2] = oauth2.tokenUrl
      ? {
          type: 'oauth2',
          description,
          flows: oauth2.authorizationUrl
            ? { authorizationCode: { authorizationUrl: oauth2.authorizationUrl, tokenUrl: oauth2.tokenUrl, scopes } }
            : { clientCredentials: { tokenUrl: oauth2.tokenUrl, scopes } },
        }
      : tokenScheme(oauth2, description);
  }
  if (saml) {
    schemes[SCHEME_NAMES.saml] = {
      type: 'apiKey',
      in: 'cookie',
      name: saml.session.cookieName,
      description: `The session cookie of a SAML login at the IdP (${saml.routePrefix === '/' ? '' : saml.routePrefix}/login sets it).`,
    };
  }
  return schemes;
}

/** The alternatives a secured operation takes: any one scheme of the strategies that are on. */
export function securityRequirements(security: ResolvedSecurityOptions): SecurityRequirementObject[] {
  return [
    ...(security.jwt ? [{ [SCHEME_NAMES.jwt]: [] }] : []),
    // Scopes only on an oauth2 scheme (OpenAPI 3.0 wants none on others).
    ...(security.oauth2 ? [{ [SCHEME_NAMES.oauth2]: security.oauth2.tokenUrl ? [...security.oauth2.requiredScopes] : [] }] : []),
    ...(security.saml ? [{ [SCHEME_NAMES.saml]: [] }] : []),
  ];
}

/** `Authorization: Bearer <jwt>` as HTTP bearer; any other header or scheme as that header. */
function tokenScheme(token: ResolvedTokenOptions, description: string): SecuritySchemeObject {
  if (token.header === 'authorization' && token.scheme?.toLowerCase() === 'bearer') {
    return { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description };
  }
  const form = token.scheme === null ? 'the token alone' : `"${token.scheme} <token>"`;
  return { type: 'apiKey', in: 'header', name: token.header, description: `${description} Sent as ${form}.` };
}

function issuers(token: ResolvedTokenOptions): string {
  return token.issuer?.length ? ` (iss ${token.issuer.map((issuer) => `"${issuer}"`).join(' or ')})` : '';
}
