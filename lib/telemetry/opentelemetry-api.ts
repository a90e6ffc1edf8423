import type * as OpenTelemetryApi from '@opentelemetry/api';

export type { OpenTelemetryApi };

/**
 * `@opentelemetry/api`, an optional peer: imported only here, and only when telemetry is on;
 * undefined when the app does not have it installed (then nothing is recorded).
 */
export async function loadOpenTelemetryApi(): Promise<typeof OpenTelemetryApi | undefined> {
  try {
    return await import('@opentelemetry/api');
  } catch (error) {
    // Node says ERR_MODULE_NOT_FOUND; Jest's resolver and some bundlers MODULE_NOT_FOUND.
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
