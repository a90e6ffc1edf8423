import jwt from 'jsonwebtoken';
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { rsaKeyPair } from './platform-keys.js';

/** A user as the platform's user service knows it, for a token's claims. */
export interface PlatformUser {
  userId: string;
  username: string;
  /** Default `['user']`. Joined with commas, as the issuers write it. */
  roles?: string[];
  organizations?: string[];
  /** Absent by default, as jwt-issuer leaves it out when the user has none. */
  namespaces?: string[];
}

/** An OAuth2 grant of the authorization server: the client and the user it acts for. */
export interface OAuth2Grant extends Omit<PlatformUser, 'namespaces'> {
  clientId: string;
  /** JSON null when the user has none, as the authorization server writes it. */
  namespaces?: string[] | null;
  /** The OAuth2 scope string. Default `api:read api:write`. */
  scope?: string;
  email?: string;
  fullname?: string;
  customerID?: string;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * A sign-in token exactly as jwt-issuer mints it (PLATFORM.md section 2): RS512, `iss` Microkubes JWT
 * Authority, 24 hours, `nbf` 0, a `jti`, comma-joined lists, `scopes` as requested. `extra` claims
 * override any of them (`{ exp: 1 }`).
 */
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
  // jsonwebtoken keeps the payload's own iat (noTimestamp would delete it).
  return jwt.sign(claims, key, { algorithm: 'RS512' });
}

/** jwt-issuer's 30-second internal token, signed with the `system` key, with singular `scope` `api:read`. */
export function systemToken(key: KeyObject, extra: Record<string, unknown> = {}): string {
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
      ...extra,
    },
    key,
    { algorithm: 'RS512' },
  );
}

/** An access token exactly as the authorization server mints it: RS256, `sub` the client id, 30 days. */
export function authServerToken(key: KeyObject, grant: OAuth2Grant, extra: Record<string, unknown> = {}): string {
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
  return jwt.sign({ ...claims, ...extra }, key, { algorithm: 'RS256' });
}

/** Signs arbitrary claims, for the cases the platform would never mint: no claim added (an `iat` only if given). */
export function signClaims(key: KeyObject | string | Buffer, claims: Record<string, unknown>, options: jwt.SignOptions = { algorithm: 'RS512' }): string {
  return jwt.sign(claims, key, { noTimestamp: claims.iat === undefined, ...options });
}

export const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

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

/** The tokens tests need to see refused, each otherwise a jwt-issuer sign-in token of `user`. */
export const badTokens = {
  /** Expired an hour ago. */
  expired: (key: KeyObject, user: PlatformUser) => jwtIssuerToken(key, user, 'api:read', { iat: now() - 7200, exp: now() - 3600 }),
  /** Valid only from an hour from now (`nbf`). */
  notYetValid: (key: KeyObject, user: PlatformUser) => jwtIssuerToken(key, user, 'api:read', { nbf: now() + 3600 }),
  /** Signed by a key no service knows. */
  foreign: (user: PlatformUser) => jwtIssuerToken(rsaKeyPair().privateKey, user),
  /** A valid token whose payload was changed afterwards (here: its roles made `admin`). */
  tampered: (key: KeyObject, user: PlatformUser) => {
    const [header, payload, signature] = jwtIssuerToken(key, user).split('.');
    const changed = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: 'admin' };
    return `${header}.${b64url(JSON.stringify(changed))}.${signature}`;
  },
  /** `alg: none`, no signature. */
  unsigned: (user: PlatformUser) => {
    const issuedAt = now();
    return rawToken({ alg: 'none', typ: 'JWT' }, { iss: 'Microkubes JWT Authority', sub: user.userId, userId: user.userId, username: user.username, roles: (user.roles ?? ['user']).join(','), iat: issuedAt, exp: issuedAt + 3600 });
  },
};
