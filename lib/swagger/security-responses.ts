import type { ResponseObject, SchemaObject } from '@nestjs/swagger';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import { bearerChallenge } from '../security/bearer-challenge.js';
import type { RouteSecurity } from './route-security.js';

/** `components.schemas` name of the module's error body. */
export const ERROR_SCHEMA_NAME = 'MicrokubesError';
/** `components.responses` names of the answers every secured operation may give. */
export const RESPONSE_NAMES = { unauthorized: 'MicrokubesUnauthorized', samlLogin: 'MicrokubesSamlLogin' } as const;

/** The body of every refusal: `{ code, message }`, as the platform's Python services answer. */
export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'integer', description: 'The HTTP status' },
    message: { type: 'string', description: 'Why the request was refused' },
  },
};

const errorBody = (example: { code: number; message: string }) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` }, example },
});

/** 401: the request's credentials are missing or were refused; the RFC 6750 challenge says which. */
export function unauthorizedResponse(security: ResolvedSecurityOptions): ResponseObject {
  // The guard's own challenge to a request without credentials.
  const challenge = bearerChallenge(security, { kind: 'missing', message: '', scopes: [] });
  return {
    description: 'No credentials, or credentials that were refused (expired, tampered, wrongly signed, revoked...)',
    headers: {
      'WWW-Authenticate': {
        description:
          `The RFC 6750 challenge: \`${challenge}\`, and, when a token was sent, ` +
          '`error="invalid_token", error_description="<why>"`',
        schema: { type: 'string' },
      },
    },
    content: errorBody({ code: 401, message: 'missing bearer token' }),
  };
}

/** 403, with what the operation requires; undefined when nothing is checked past authentication. */
export function forbiddenResponse(route: RouteSecurity): ResponseObject | undefined {
  const required: string[] = [];
  if (route.roles) {
    const names = route.roles.roles.map((role) => `\`${role}\``).join(', ');
    required.push(route.roles.roles.length === 1 ? `the role ${names}` : `${route.roles.match === 'all' ? 'all' : 'one'} of the roles ${names}`);
  }
  if (route.grants) {
    const grants = route.grants.requirements.map(
      ({ action, resource, possession }) => `\`${action ?? 'any action'}\` on \`${resource ?? 'any resource'}\` (${possession ?? 'any'})`,
    );
    required.push(`${grants.length > 1 ? (route.grants.match === 'all' ? 'all of the grants ' : 'one of the grants ') : 'the grant '}${grants.join(', ')}`);
  }
  if (route.policies) required.push('an allow of the ACL policies (and no deny), for this path and method');
  if (route.scopes.length > 0) {
    required.push(`for an OAuth2 token, the scopes ${route.scopes.map((scope) => `\`${scope}\``).join(', ')} (\`error="insufficient_scope"\`)`);
  }
  if (required.length === 0) return undefined;
  return {
    description: `The caller lacks what this operation requires: ${required.join('; ')}`,
    content: errorBody({ code: 403, message: 'access denied' }),
  };
}

/** 302: a browser (GET, `Accept: text/html`, no token) without a SAML session is sent to the IdP to sign in. */
export function samlLoginResponse(): ResponseObject {
  return {
    description: 'A browser without a SAML session (GET or HEAD, Accept: text/html, no token) is sent to the IdP to sign in',
    headers: { Location: { description: "The IdP's sign-in URL, with the AuthnRequest", schema: { type: 'string' } } },
  };
}
