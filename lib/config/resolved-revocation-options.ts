import type { RedisClient, RevocationOptions } from '../microkubes-options.interface.js';
import { isRedisClient } from '../redis/redis-command.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalBoolean, optionalInteger, optionalString, rejectUnknown } from './option-checks.js';

const KNOWN = ['redis', 'prefix', 'trustMirrorFor', 'requiredAtStartup', 'startupTimeout', 'maxTokenLifetime'];
const THIRTY_DAYS = 30 * 86_400;

/** `security.revocation`, validated, with every default applied; durations in seconds. */
export interface ResolvedRevocationOptions {
  redis: RedisClient;
  prefix: string;
  trustMirrorFor: number;
  requiredAtStartup: boolean;
  startupTimeout: number;
  maxTokenLifetime: number;
}

export function resolveRevocationOptions(given: RevocationOptions | false | undefined): ResolvedRevocationOptions | undefined {
  if (given === undefined || given === false) return undefined;
  const path = 'security.revocation';
  if (!isObject(given)) throw new MicrokubesOptionsError(path, 'must be { redis, ... } or false');
  rejectUnknown(given, KNOWN, `${path}.`);
  if (!isRedisClient(given.redis)) throw new MicrokubesOptionsError(`${path}.redis`, 'must be a connected client of the redis or ioredis package');
  const prefix = optionalString(given.prefix, `${path}.prefix`) ?? 'microkubes:revocation:';
  if (prefix === '') throw new MicrokubesOptionsError(`${path}.prefix`, 'must not be empty');
  return {
    redis: given.redis,
    prefix,
    trustMirrorFor: optionalInteger(given.trustMirrorFor, `${path}.trustMirrorFor`, 0, 7 * 86_400) ?? 0,
    requiredAtStartup: optionalBoolean(given.requiredAtStartup, `${path}.requiredAtStartup`) ?? true,
    startupTimeout: optionalInteger(given.startupTimeout, `${path}.startupTimeout`, 1, 600) ?? 5,
    maxTokenLifetime: optionalInteger(given.maxTokenLifetime, `${path}.maxTokenLifetime`, 60, 366 * 86_400) ?? THIRTY_DAYS,
  };
}
