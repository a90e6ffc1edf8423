import { Logger } from '@nestjs/common';
import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import type { KongAdminClient } from './kong-admin.client.js';

const logger = new Logger('KongRegistration');

/** How one generation of Kong's admin API is told about a service. */
export interface KongRegistrar {
  /** `legacy`: Kong 0.x and its `/apis`; `services`: Kong 1.0 and later. */
  readonly mode: 'legacy' | 'services';
  register(client: KongAdminClient, options: ResolvedGatewayOptions): Promise<void>;
  /** Takes this instance's target out of the upstream; a target already gone is fine. */
  removeTarget(client: KongAdminClient, target: NonNullable<ResolvedGatewayOptions['target']>): Promise<void>;
}

/**
 * Adds this instance to its upstream with `add`. A target that is not `required` may fail: the
 * service is registered all the same, with a warning.
 */
export async function addTarget(target: NonNullable<ResolvedGatewayOptions['target']>, add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (error) {
    if (target.required) throw error;
    logger.warn(`Not added as target ${target.address} of upstream ${target.upstream}, going on without it: ${(error as Error).message}`);
  }
}

/** A path segment for an entity's name or id. */
export const segment = (value: string) => encodeURIComponent(value);

/** JSON bodies without the fields that are not set, so that Kong applies its defaults. */
export function definedFields<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

type DesiredPlugin = ResolvedGatewayOptions['plugins'][number];

/**
 * One plugin of each name: updated in place when there, created when not. A create that meets a
 * 409 (another instance created it meanwhile) updates that one instead. Returns the plugins that
 * were there before.
 */
export async function upsertPluginsByName<P extends { id: string; name: string }>(
  desired: readonly DesiredPlugin[],
  list: () => Promise<P[]>,
  create: (plugin: DesiredPlugin) => Promise<'created' | 'conflict'>,
  update: (existing: P, plugin: DesiredPlugin) => Promise<unknown>,
): Promise<P[]> {
  if (desired.length === 0) return list();
  const before = await list();
  let existing = before;
  for (const plugin of desired) {
    let current = existing.find((candidate) => candidate.name === plugin.name);
    if (!current) {
      if ((await create(plugin)) === 'created') continue;
      existing = await list();
      current = existing.find((candidate) => candidate.name === plugin.name);
      if (!current) continue;
    }
    await update(current, plugin);
  }
  return before;
}
