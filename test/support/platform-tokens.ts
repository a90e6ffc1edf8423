import jwt from 'jsonwebtoken';
import { randomUUID, sign, type KeyObject } from 'node:crypto';

/** A user as the platform's user service knows it. */
export interface PlatformUser {
  userId: string;
  username: string;
  roles?: string[];
  organizations?: string[];
  namespaces?: string[];
}

const now = () => Math.floor(Date.now() / 1000);

/** A sign-in token exactly as jwt-issuer mints it (PLATFORM.md section 2): RS512, comma-joined lists. */
export function jwtIssuerToken(key: KeyObject, user: PlatformUser, scopes = 'api:read', extra: Record<string, unknown> = {}): string {
  const issuedAt = now();
  const claims: Record<string, unknown> = {
    iss: 'Microkubes JWT Authority',
    sub: user.userId,
    exp: issuedAt + 24 * 3600,
    iat: issuedAt,
    nbf: 0,
    jti: randomUUID(),
    userId: user.userId,
    username: user.username,
    roles: (user.roles ?? ['user']).join(','),
    organizations: (user.organizations ?? []).join(','),
    scopes,
    ...extra,
  };
  if (user.namespaces) claims.namespaces = user.namespaces.join(',');
  return jwt.sign(claims, key, { algorithm: 'RS512', noTimestamp: true });
}

/** jwt-issuer's 30-second internal token, signed with the `system` key, with singular `scope`. */
export function systemToken(key: KeyObject): string {
  const issuedAt = now();
  return jwt.sign(
    {
      iss: 'Microkubes JWT Authority',
      sub: 'system',
      exp: issuedAt + 30,
      iat: issuedAt,
      nbf: 0,
      jti: randomUUID(),
      userId: 'system',
      username: 'system',
      roles: 'system',
      scope: 'api:read',
    },
    key,
    { algorithm: 'RS512', noTimestamp: true },
  );
}

export interface OAuth2Grant extends Omit<PlatformUser, 'namespaces'> {
  clientId: string;
  /** JSON null when the user has none, as the authorization server writes it. */
  namespaces?: string[] | null;
  scope?: string;
  email?: string;
  fullname?: string;
  customerID?: string;
}

/** An access token exactly as the authorization server mints it: RS256, `sub` = client id, 30 days. */
export function authServerToken(key: KeyObject, grant: OAuth2Grant): string {
  const issuedAt = now();
  const claims: Record<string, unknown> = {
    iss: 'Microkubes Authorization Server',
    sub: grant.clientId,
    exp: issuedAt + 30 * 24 * 3600,
    iat: issuedAt,
    nbf: 0,
    jti: randomUUID(),
    userId: grant.userId,
    username: grant.username,
    roles: (grant.roles ?? ['user']).join(','),
    organizations: (grant.organizations ?? []).join(','),
    namespaces: grant.namespaces === null || grant.namespaces === undefined ? null : grant.namespaces.join(','),
    scopes: grant.scope ?? 'api:read api:write',
  };
  for (const field of ['email', 'fullname', 'customerID'] as const) {
    if (grant[field] !== undefined) claims[field] = grant[field];
  }
  return jwt.sign(claims, key, { algorithm: 'RS256', noTimestamp: true });
}

/** Signs arbitrary claims, for the cases the platform would never mint. */
export function signClaims(
  key: KeyObject | string | Buffer,
  claims: Record<string, unknown>,
  options: jwt.SignOptions = { algorithm: 'RS512' },
): string {
  return jwt.sign(claims, key, { noTimestamp: true, ...options });
}

export const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A compact JWS from raw segments: for malformed and forged tokens. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  const encode = (part: unknown) => (typeof part === 'string' ? b64url(part) : b64url(JSON.stringify(part)));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/** A validly signed token around any header and payload text, even ones no JWT library would write. */
export function signRaw(key: KeyObject, header: Record<string, unknown>, payloadText: string, digest = 'sha512'): string {
  const data = `${b64url(JSON.stringify(header))}.${b64url(payloadText)}`;
  return `${data}.${b64url(sign(digest, Buffer.from(data), key))}`;
}
