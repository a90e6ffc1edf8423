import type { OperationObject, SchemaObject } from '@nestjs/swagger';
import type { ResolvedEndpointOptions } from '../config/resolved-endpoint-options.js';

/** A tag for the operations the module serves itself. */
const MODULE_TAG = 'microkubes';

/** What each indicator tells, by its name (`keys`, `gateway`): `{ status: up | down | degraded, ...details }`. */
const INDICATORS: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down', 'degraded'] }, message: { type: 'string' } },
    additionalProperties: true,
  },
};

function healthBody(status: 'ok' | 'error'): SchemaObject {
  return {
    type: 'object',
    required: ['status', 'info', 'error', 'details'],
    properties: { status: { type: 'string', enum: [status] }, info: INDICATORS, error: INDICATORS, details: INDICATORS },
  };
}

/**
 * The routes the module serves on the HTTP adapter itself, outside the controllers: GET
 * /healthcheck (its security is added by the caller when it is not public) and GET /version.
 * Keyed by path; only those that are on.
 */
export function moduleOperations(endpoints: ResolvedEndpointOptions): Map<string, OperationObject> {
  const operations = new Map<string, OperationObject>();
  if (endpoints.healthCheck) {
    operations.set(endpoints.healthCheck.path, {
      tags: [MODULE_TAG],
      operationId: 'microkubes_healthCheck',
      summary: 'Health of the service',
      description: "The key store, and Kong's admin API when a gateway is configured (@nestjs/terminus).",
      responses: {
        '200': { description: 'Healthy', content: { 'application/json': { schema: healthBody('ok') } } },
        '503': { description: 'Something the service needs is down: `error` names it', content: { 'application/json': { schema: healthBody('error') } } },
      },
    });
  }
  if (endpoints.versionEndpoint && endpoints.version !== undefined) {
    operations.set(endpoints.versionEndpoint.path, {
      tags: [MODULE_TAG],
      operationId: 'microkubes_version',
      summary: 'Version of the service',
      responses: {
        '200': {
          description: "The service's version",
          content: {
            'application/json': {
              schema: { type: 'object', required: ['version'], properties: { version: { type: 'string', example: endpoints.version } } },
            },
          },
        },
      },
    });
  }
  return operations;
}
