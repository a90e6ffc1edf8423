import type { GatewayRetryOptions } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalInteger, rejectUnknown } from './option-checks.js';

const MAX_TIMEOUT = 2_147_483_646;

/** Retry settings of a registration (Kong, the SAML IdP), with every default applied. */
export interface ResolvedRetryOptions {
  attempts: number;
  deadline: number;
  initialDelay: number;
  maxDelay: number;
  requestTimeout: number;
}

/** `path` names the option in errors, e.g. `gateway.retry`. */
export function resolveRetry(retry: GatewayRetryOptions | undefined, path: string): ResolvedRetryOptions {
  if (retry !== undefined && !isObject(retry)) throw new MicrokubesOptionsError(path, 'must be an object');
  const given = retry ?? {};
  rejectUnknown(given, ['attempts', 'deadline', 'initialDelay', 'maxDelay', 'requestTimeout'], `${path}.`);
  const resolved = {
    attempts: optionalInteger(given.attempts, `${path}.attempts`, 1, 1_000) ?? 15,
    deadline: optionalInteger(given.deadline, `${path}.deadline`, 1, MAX_TIMEOUT) ?? 60_000,
    initialDelay: optionalInteger(given.initialDelay, `${path}.initialDelay`, 0, MAX_TIMEOUT) ?? 250,
    maxDelay: optionalInteger(given.maxDelay, `${path}.maxDelay`, 0, MAX_TIMEOUT) ?? 5_000,
    requestTimeout: optionalInteger(given.requestTimeout, `${path}.requestTimeout`, 1, MAX_TIMEOUT) ?? 5_000,
  };
  if (resolved.maxDelay < resolved.initialDelay) {
    throw new MicrokubesOptionsError(`${path}.maxDelay`, `must not be less than ${path}.initialDelay`);
  }
  return resolved;
}
