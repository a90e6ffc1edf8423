import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { Auth } from '../auth/auth.js';

/** What the session cookie holds: the caller as the IdP described them, and when it ends. */
export interface SamlSessionPayload {
  userId: string;
  username: string;
  roles: string[];
  /** The IdP's entity id. */
  iss: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals the session into the cookie value and opens it again: AES-256-GCM, so the cookie is both
 * secret and tamper-evident, and nothing about sessions is kept in the process. The first key
 * seals; every key opens, so that secrets can be rotated.
 */
export class SamlSessionCodec {
  private constructor(
    private readonly keys: readonly Buffer[],
    private readonly context: Buffer,
  ) {}

  /** Keys derived (HKDF-SHA256) from configured secrets. */
  static fromSecrets(secrets: readonly Buffer[], entityId: string): SamlSessionCodec {
    return new SamlSessionCodec(secrets.map((secret) => deriveKey(secret, entityId)), context(entityId));
  }

  /** A key derived from the SP's private key, which every replica of the service shares. */
  static fromPrivateKey(key: KeyObject, entityId: string): SamlSessionCodec {
    const material = key.export({ type: 'pkcs8', format: 'der' });
    return new SamlSessionCodec([deriveKey(material, entityId)], context(entityId));
  }

  seal(payload: SamlSessionPayload): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0] as Buffer, iv);
    cipher.setAAD(this.context);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The session, or why the cookie is refused. */
  open(value: string, nowSeconds = Math.floor(Date.now() / 1000)): SamlSessionPayload | string {
    if (!/^[A-Za-z0-9_-]{40,4096}$/.test(value)) return 'malformed session cookie';
    const bytes = Buffer.from(value, 'base64url');
    if (bytes[0] !== VERSION) return 'malformed session cookie';
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const sealed = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    for (const key of this.keys) {
      const json = decrypt(key, iv, sealed, tag, this.context);
      if (json === undefined) continue;
      const payload = parsePayload(json);
      if (!payload) return 'malformed session';
      if (payload.exp <= nowSeconds) return 'session expired';
      return payload;
    }
    return 'session cookie not accepted';
  }
}

/** The `Auth` of a session: no organizations, namespaces or scopes come from the platform's IdP. */
export function authFromSession(payload: SamlSessionPayload): Auth {
  return new Auth({
    userId: payload.userId,
    username: payload.username,
    roles: Object.freeze([...payload.roles]),
    organizations: Object.freeze([]),
    namespaces: Object.freeze([]),
    scopes: Object.freeze([]),
    email: payload.username.includes('@') ? payload.username : undefined,
    strategy: 'saml',
    claims: Object.freeze({ ...payload, roles: Object.freeze([...payload.roles]) }),
  });
}

function deriveKey(secret: Buffer, entityId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'microkubes-saml-session', entityId, 32));
}

function context(entityId: string): Buffer {
  return Buffer.from(`microkubes-saml-session/v${VERSION}\n${entityId}`);
}

function decrypt(key: Buffer, iv: Buffer, sealed: Buffer, tag: Buffer, aad: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function parsePayload(json: string): SamlSessionPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const p = value as Partial<SamlSessionPayload> | null;
  const valid =
    typeof p === 'object' && p !== null &&
    typeof p.userId === 'string' && typeof p.username === 'string' && typeof p.iss === 'string' &&
    Array.isArray(p.roles) && p.roles.every((role) => typeof role === 'string') &&
    Number.isInteger(p.iat) && Number.isInteger(p.exp);
  return valid ? (p as SamlSessionPayload) : undefined;
}
