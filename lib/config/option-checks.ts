import { Logger } from '@nestjs/common';
import { MicrokubesOptionsError } from './microkubes-options.error.js';

/** Small validators shared by the option resolvers; each error names the option. */

const logger = new Logger('MicrokubesModule');

export function stringList(value: unknown, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new MicrokubesOptionsError(path, 'must be a non-empty string or a list of them');
  }
  return list as string[];
}

export function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new MicrokubesOptionsError(path, 'must be a non-empty string');
  return value;
}

export function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new MicrokubesOptionsError(path, 'must be true or false');
  return value;
}

export function optionalArray<T>(value: T[] | undefined, path: string): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new MicrokubesOptionsError(path, 'must be an array');
  return value;
}

export function warnUnknown(options: object, known: readonly string[], prefix: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) logger.warn(`Unknown MicrokubesModule option "${prefix}${name}" is ignored`);
  }
}

export function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalInteger(value: unknown, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MicrokubesOptionsError(path, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}
