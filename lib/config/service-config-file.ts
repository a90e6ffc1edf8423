import { Logger } from '@nestjs/common';
import * as jsonc from 'jsonc-parser';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServiceConfig } from './service-config.interface.js';
import { ServiceConfigError } from './service-config.error.js';

const logger = new Logger('MicrokubesServiceConfig');

/** Where the platform mounts a service's config when `SERVICE_CONFIG_FILE` does not say. */
export const defaultServiceConfigFile = (serviceName: string) => `/run/secrets/microservice_${serviceName}_config.json`;

/**
 * The service config file's path: `file`, else the `SERVICE_CONFIG_FILE` environment variable,
 * else `/run/secrets/microservice_<serviceName>_config.json`.
 */
export function serviceConfigFile(file: string | undefined, serviceName: string | undefined, environment: NodeJS.ProcessEnv = process.env): string {
  const chosen = file || environment.SERVICE_CONFIG_FILE || (serviceName ? defaultServiceConfigFile(serviceName) : undefined);
  if (!chosen) {
    throw new ServiceConfigError(
      '(none)',
      undefined,
      'no file given: pass its path, set SERVICE_CONFIG_FILE, or give serviceName (for /run/secrets/microservice_<serviceName>_config.json)',
    );
  }
  return resolve(chosen);
}

/**
 * Reads and checks a service config file (microkubes-python's `read_config`): a missing file,
 * invalid JSON (with line and column) or a field of the wrong type throws ServiceConfigError
 * naming the file and the field. Unknown fields are left in place, with one debug line.
 */
export function readServiceConfig(file: string): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new ServiceConfigError(file, undefined, code === 'ENOENT' ? 'does not exist' : `cannot be read: ${message}`, { cause: error });
  }
  const config = parseJson(text, file);
  const unknown: string[] = [];
  checkFields(config, SERVICE_CONFIG_FIELDS, '', file, unknown);
  if (unknown.length > 0) logger.debug(`Service config ${file}: ignored fields this module does not use: ${unknown.join(', ')}`);
  return config as ServiceConfig;
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ServiceConfigError(file, undefined, `is not valid JSON: ${locateJsonError(text, error as Error)}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ServiceConfigError(file, undefined, 'must hold a JSON object');
  }
  return value as Record<string, unknown>;
}

/** JSON.parse tells no position on Node 20: jsonc-parser (strict settings) finds the first error. */
function locateJsonError(text: string, error: Error): string {
  const errors: jsonc.ParseError[] = [];
  jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return error.message;
  const before = text.slice(0, first.offset).split('\n');
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  const what = jsonc.printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `${what} at line ${line}, column ${column}`;
}

/** A field's check: throws a problem (without the field's name), or returns to go on. */
type FieldCheck = (value: unknown, field: string, file: string, unknown: string[]) => void;
interface FieldSpec {
  check: FieldCheck;
  required?: boolean;
}
type Fields = Record<string, FieldSpec>;

function checkFields(object: Record<string, unknown>, fields: Fields, prefix: string, file: string, unknown: string[]): void {
  for (const [name, spec] of Object.entries(fields)) {
    const value = object[name];
    if (value === undefined) {
      if (spec.required) throw new ServiceConfigError(file, `${prefix}${name}`, 'is missing');
      continue;
    }
    spec.check(value, `${prefix}${name}`, file, unknown);
  }
  for (const name of Object.keys(object)) if (!(name in fields)) unknown.push(`${prefix}${name}`);
}

const fail = (file: string, field: string, problem: string, value: unknown): never => {
  throw new ServiceConfigError(file, field, `${problem} (got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)})`);
};

const text: FieldSpec = {
  check: (value, field, file) => {
    if (typeof value !== 'string' || value.trim() === '') fail(file, field, 'must be a non-empty string', value);
  },
};
const url: FieldSpec = {
  check: (value, field, file) => {
    text.check(value, field, file, []);
    if (!/^https?:$/.test(URL.parse(value as string)?.protocol ?? '')) fail(file, field, 'must be an http(s) URL', value);
  },
};
const flag: FieldSpec = {
  check: (value, field, file) => {
    if (typeof value !== 'boolean') fail(file, field, 'must be true or false', value);
  },
};
const whole = (min: number, max: number): FieldSpec => ({
  check: (value, field, file) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(file, field, `must be a whole number from ${min} to ${max}`, value);
    }
  },
});
const list = (item: (value: string, field: string, file: string) => void = () => {}): FieldSpec => ({
  check: (value, field, file) => {
    if (!Array.isArray(value)) fail(file, field, 'must be an array of strings', value);
    (value as unknown[]).forEach((entry, i) => {
      text.check(entry, `${field}[${i}]`, file, []);
      item(entry as string, `${field}[${i}]`, file);
    });
  },
});
const paths = list((value, field, file) => {
  if (!/^[/~]/.test(value)) fail(file, field, 'must start with "/"', value);
});
const patterns = list((value, field, file) => {
  try {
    new RegExp(value);
  } catch (error) {
    fail(file, field, `is not a valid regular expression: ${(error as Error).message}`, value);
  }
});
const object = (fields?: Fields): FieldSpec => ({
  check: (value, field, file, unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, field, 'must be an object', value);
    if (fields) checkFields(value as Record<string, unknown>, fields, `${field}.`, file, unknown);
  },
});
const objects: FieldSpec = {
  check: (value, field, file) => {
    if (!Array.isArray(value)) fail(file, field, 'must be an array', value);
    (value as unknown[]).forEach((entry, i) => object().check(entry, `${field}[${i}]`, file, []));
  },
};
const anything: FieldSpec = { check: () => {} };
const required = (spec: FieldSpec): FieldSpec => ({ ...spec, required: true });

/** The fields this module reads; `database` is the app's, and known so that it is not reported. */
const SERVICE_CONFIG_FIELDS: Fields = {
  service: object({
    name: required(text),
    port: whole(1, 65_535),
    paths: required(paths),
    virtual_host: required(text),
    hosts: list(),
    weight: whole(0, 65_535),
    slots: whole(10, 65_536),
  }),
  gatewayUrl: url,
  gatewayAdminUrl: url,
  version: text,
  database: anything,
  security: object({
    disable: flag,
    keysDir: text,
    ignorePatterns: patterns,
    ignoreHttpMethods: list(),
    jwt: object({ name: text, description: text, tokenUrl: text }),
    oauth2: object({ description: text, tokenUrl: text, authorizeUrl: text }),
    saml: object({
      certFile: text,
      keyFile: text,
      identityProviderUrl: required(url),
      rootURL: required(url),
      userServiceUrl: text,
      registrationServiceUrl: text,
    }),
    // Each policy's fields are checked where they are compiled (`acl.policies`), named as here.
    acl: object({ disable: flag, policies: objects }),
  }),
};
