import type { MicrokubesModuleOptions } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalInteger, optionalString, rejectUnknown } from './option-checks.js';

export interface ResolvedServiceCallsOptions {
  /** `iss` and `sub` of system tokens; undefined when there is none to name (then no system tokens). */
  serviceName?: string;
  /** Undefined: relay only. */
  systemKey?: string;
  systemTokenLifetimeSeconds: number;
  systemTokenRenewBeforeSeconds: number;
}

/** The platform's system tokens live 30 seconds (jwt-issuer and the Go services alike). */
const PLATFORM_SYSTEM_TOKEN_LIFETIME = 30;

/** `serviceCalls`: undefined when off. Whether the system key exists is checked with the keys, at start-up. */
export function resolveServiceCallsOptions(options: MicrokubesModuleOptions): ResolvedServiceCallsOptions | undefined {
  const given = options.serviceCalls;
  if (given === undefined || given === false) return undefined;
  if (given !== true && !isObject(given)) {
    throw new MicrokubesOptionsError('serviceCalls', 'must be { serviceName?, systemKey?, systemTokenLifetime?, systemTokenRenewBefore? } or a boolean');
  }
  const calls = given === true ? {} : given;
  rejectUnknown(calls, ['serviceName', 'systemKey', 'systemTokenLifetime', 'systemTokenRenewBefore'], 'serviceCalls.');
  const systemKey = calls.systemKey === false ? undefined : (optionalString(calls.systemKey, 'serviceCalls.systemKey') ?? 'system');
  const serviceName = optionalString(calls.serviceName, 'serviceCalls.serviceName') ?? options.gateway?.name;
  if (systemKey !== undefined && !serviceName) {
    throw new MicrokubesOptionsError('serviceCalls.serviceName', 'is needed for system tokens (their iss and sub) when there is no gateway.name; or set systemKey: false');
  }
  const lifetime = optionalInteger(calls.systemTokenLifetime, 'serviceCalls.systemTokenLifetime', 2, 86_400) ?? PLATFORM_SYSTEM_TOKEN_LIFETIME;
  const renewBefore = optionalInteger(calls.systemTokenRenewBefore, 'serviceCalls.systemTokenRenewBefore', 1, lifetime - 1) ?? Math.min(5, lifetime - 1);
  return { serviceName, systemKey, systemTokenLifetimeSeconds: lifetime, systemTokenRenewBeforeSeconds: renewBefore };
}
