import type { ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { AclPolicyEnforcer, MicrokubesAuthenticator, MicrokubesAuthGuard, Public } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';

class Handlers {
  secured() {}
  @Public()
  open() {}
}

function contextOf(type: 'rpc' | 'ws', handler: keyof Handlers): ExecutionContext {
  return {
    getType: () => type,
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToHttp: () => {
      throw new Error('not an HTTP context');
    },
  } as unknown as ExecutionContext;
}

describe('MicrokubesAuthGuard outside HTTP', () => {
  const options = resolveOptions({});
  const guard = new MicrokubesAuthGuard(new Reflector(), new MicrokubesAuthenticator([]), new HttpAdapterHost(), options, new AclPolicyEnforcer(options), null);

  it.each(['rpc', 'ws'] as const)('refuses a %s call (fails closed)', async (type) => {
    expect(await guard.canActivate(contextOf(type, 'secured'))).toBe(false);
  });

  it.each(['rpc', 'ws'] as const)('lets a @Public() %s handler through', async (type) => {
    expect(await guard.canActivate(contextOf(type, 'open'))).toBe(true);
  });
});
