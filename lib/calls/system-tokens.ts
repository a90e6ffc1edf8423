import jwt from 'jsonwebtoken';
import { randomUUID, type KeyObject } from 'node:crypto';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import type { ResolvedServiceCallsOptions } from '../config/resolved-service-calls-options.js';
import type { KeyStore } from '../keys/key-store.js';
import { ServiceCallError } from './service-call.error.js';

const MIN_RSA_BITS = 2048;

interface Minted {
  token: string;
  /** The key it was signed with: a rotated key set has new KeyObjects, and the token is signed anew. */
  key: KeyObject;
  /** Epoch ms after which it is signed anew (`renewBefore` seconds before its `exp`). */
  renewAt: number;
}

/**
 * The service's system token, minted as the platform's Go services mint theirs (RS256 with the
 * `system` private key; the claims in the order Go's encoding/json writes them: `exp`, `iss`,
 * `jti`, `nbf` 0, `roles`, `scope` "api:read", `sub`, `userId`, `username`, the three "system";
 * no `iat`), and reused until shortly before its `exp`: one signature per lifetime per process,
 * whatever the load (signing is synchronous, so concurrent calls cannot race to sign).
 */
export class SystemTokens {
  private minted?: Minted;
  private signed = 0;

  private constructor(
    private readonly options: ResolvedServiceCallsOptions & { systemKey: string; serviceName: string },
    private readonly keys: KeyStore,
  ) {}

  /** Fails start-up, naming the option, when the key is not there or is not an RSA key. */
  static create(options: ResolvedServiceCallsOptions, keys: KeyStore): SystemTokens | undefined {
    if (!options.systemKey || !options.serviceName) return undefined;
    systemKeyOf(keys, options.systemKey, (problem) => new MicrokubesOptionsError('serviceCalls.systemKey', problem));
    return new SystemTokens({ ...options, systemKey: options.systemKey, serviceName: options.serviceName }, keys);
  }

  /** The system token to send now. */
  token(): string {
    const key = systemKeyOf(this.keys, this.options.systemKey, (problem) => new ServiceCallError(`system token: ${problem}`));
    const now = Date.now();
    if (this.minted && this.minted.key === key && now < this.minted.renewAt) return this.minted.token;
    const exp = Math.floor(now / 1000) + this.options.systemTokenLifetimeSeconds;
    const token = signSystemToken(key, this.options.serviceName, exp);
    this.signed++;
    this.minted = { token, key, renewAt: (exp - this.options.systemTokenRenewBeforeSeconds) * 1000 };
    return token;
  }

  /** How many system tokens this process has signed: one per lifetime, under any load. */
  get signatures(): number {
    return this.signed;
  }
}

/**
 * A system token as the platform's Go services sign theirs (microservice-registration's
 * selfSignJWT): RS256, header `{"alg":"RS256","typ":"JWT"}`, the claims in encoding/json's order.
 */
export function signSystemToken(key: KeyObject, serviceName: string, exp: number): string {
  const claims = { exp, iss: serviceName, jti: randomUUID(), nbf: 0, roles: 'system', scope: 'api:read', sub: serviceName, userId: 'system', username: 'system' };
  return jwt.sign(claims, key, { algorithm: 'RS256', noTimestamp: true });
}

function systemKeyOf(keys: KeyStore, name: string, error: (problem: string) => Error): KeyObject {
  const stored = keys.privateKey(name);
  if (!stored) throw error(`no private key named "${name}" in the keys (a file "${name}" in keysDir, or keys.${name})`);
  if (stored.key.asymmetricKeyType !== 'rsa') {
    throw error(`"${name}" (${stored.file}) is an ${stored.key.asymmetricKeyType ?? 'unknown'} key; system tokens are RS256, signed with an RSA key`);
  }
  const bits = stored.key.asymmetricKeyDetails?.modulusLength ?? 0;
  // jsonwebtoken (and every verifier that follows current advice) refuses smaller RSA keys.
  if (bits < MIN_RSA_BITS) throw error(`"${name}" (${stored.file}) is a ${bits}-bit RSA key; system tokens need at least ${MIN_RSA_BITS} bits`);
  return stored.key;
}
