import type { TelemetryOptions } from '../microkubes-options.interface.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalBoolean, rejectUnknown } from './option-checks.js';

export interface ResolvedTelemetryOptions {
  userIdOnSpans: boolean;
}

/** `telemetry`: undefined when turned off. */
export function resolveTelemetryOptions(given: TelemetryOptions | boolean | undefined): ResolvedTelemetryOptions | undefined {
  if (given === false) return undefined;
  if (given !== undefined && given !== true && !isObject(given)) {
    throw new MicrokubesOptionsError('telemetry', 'must be { userIdOnSpans? } or a boolean');
  }
  const telemetry = given === undefined || given === true ? {} : given;
  rejectUnknown(telemetry, ['userIdOnSpans'], 'telemetry.');
  return { userIdOnSpans: optionalBoolean(telemetry.userIdOnSpans, 'telemetry.userIdOnSpans') ?? false };
}
