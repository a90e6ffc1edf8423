import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { AccessControlGuard } from '../guards/access-control.guard.js';
import { AclGuard } from '../guards/acl.guard.js';
import { MicrokubesAuthGuard } from '../guards/microkubes-auth.guard.js';
import { RolesGuard } from '../guards/roles.guard.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { IS_PUBLIC_KEY } from '../security/public.decorator.js';

/** @nestjs/microservices' and @nestjs/common's metadata keys, read without loading either's internals. */
const PATTERN_METADATA = 'microservices:pattern';
const GUARDS_METADATA = '__guards__';
/** GrpcMethodStreamingType.PT_STREAMING: what @GrpcStreamCall declares. */
const STREAM_CALL = 'pt_stream';

const MODULE_GUARDS = new Set<unknown>([MicrokubesAuthGuard, RolesGuard, AccessControlGuard, AclGuard]);

/**
 * Fails start-up on a `@GrpcStreamCall` handler behind the module's guards. Nest runs such a
 * handler without catching what its guards throw: a refused call (any call without a token) would
 * be an unhandled rejection, which ends the process. `@GrpcStreamMethod` has no such hole, and a
 * `@Public()` stream call is never refused.
 */
@Injectable()
export class StreamCallCheck implements OnModuleInit {
  constructor(
    private readonly modules: ModulesContainer,
    @Inject(MICROKUBES_OPTIONS) private readonly options: ResolvedMicrokubesOptions,
  ) {}

  onModuleInit(): void {
    const globallyGuarded = this.options.security.globalGuard || this.options.acl.globalGuards;
    for (const module of this.modules.values()) {
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as Type | undefined;
        if (!controller?.prototype) continue;
        for (const [name, handler] of methodsOf(controller)) {
          if (!isStreamCall(handler)) continue;
          if (Reflect.getMetadata(IS_PUBLIC_KEY, handler) ?? Reflect.getMetadata(IS_PUBLIC_KEY, controller)) continue;
          const guards = [...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[]) ?? []), ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? [])];
          if (!globallyGuarded && !guards.some((guard) => MODULE_GUARDS.has(guard))) continue;
          throw new Error(
            `${controller.name}.${name} is a @GrpcStreamCall handler behind MicrokubesAuthGuard: Nest does not catch a guard's refusal there, ` +
              'and one call without a token would end the process. Use @GrpcStreamMethod (an Observable of the messages), or mark it @Public()',
          );
        }
      }
    }
  }
}

function isStreamCall(handler: object): boolean {
  const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as Array<{ streaming?: unknown }> | undefined;
  return patterns?.some((pattern) => pattern?.streaming === STREAM_CALL) ?? false;
}

/** A controller's methods, its base classes' included (a handler may be inherited). */
function methodsOf(controller: Type): Map<string, object> {
  const methods = new Map<string, object>();
  for (let prototype = controller.prototype as object | null; prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype) as object | null) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const value = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name !== 'constructor' && typeof value === 'function' && !methods.has(name)) methods.set(name, value);
    }
  }
  return methods;
}
