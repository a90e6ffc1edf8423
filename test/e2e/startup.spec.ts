import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Controller, Get, UseGuards, type DynamicModule } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  AccessControlGuard, AclGuard, KeyFileError, MicrokubesAuthGuard, MicrokubesModule, MicrokubesOptionsError, RolesGuard,
  type MicrokubesModuleOptions, type ServiceConfigSource,
} from '../../lib/index.js';
import { platformKeysDir } from '../../lib/testing/index.js';
import { HelloController } from '../support/hello.controller.js';
import { startApp } from '../support/test-app.js';

const dir = mkdtempSync(join(tmpdir(), 'mk-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (options: MicrokubesModuleOptions) =>
  startApp('express', { imports: [MicrokubesModule.forRoot(options)], controllers: [HelloController] });

@Controller('roles') @UseGuards(RolesGuard) class RolesOnly { @Get() get() { return {}; } }
@Controller('acl') @UseGuards(AclGuard) class AclOnly { @Get() get() { return {}; } }
@Controller('grants') @UseGuards(AccessControlGuard) class GrantsOnly { @Get() get() { return {}; } }

describe('start-up fails with an error that names the problem', () => {
  it.each<[string, unknown]>([
    ['MicrokubesAuthGuard', HelloController], ['RolesGuard', RolesOnly], ['AclGuard', AclOnly], ['AccessControlGuard', GrantsOnly],
  ])('%s used where MicrokubesModule is not imported', async (guard, controller) => {
    await expect(startApp('express', { controllers: [controller as never] })).rejects.toThrow(
      `${guard} needs MicrokubesModule: import MicrokubesModule.forRoot(), forRootAsync() or forServiceConfig() in the application's root module`,
    );
  });

  it('forRoot() without options, as plain JavaScript may call it: the options are checked, not a TypeError', async () => {
    await expect(startApp('express', { imports: [(MicrokubesModule.forRoot as () => DynamicModule)()], controllers: [HelloController] })).rejects.toThrow(
      'Invalid MicrokubesModule option "security.jwt": cannot verify tokens: neither keysDir nor keys is set',
    );
  });

  it('a keys directory that does not exist, named as the keysDir option', async () => {
    await expect(start({ keysDir: join(dir, 'missing') })).rejects.toThrow(`Keys directory (keysDir) ${join(dir, 'missing')}: does not exist`);
  });

  it('an invalid option', async () => {
    await expect(start({ security: { jwt: { clockTolerance: -5 } } })).rejects.toThrow(
      new MicrokubesOptionsError('security.jwt.clockTolerance', 'must be a number of seconds, 0 or more'),
    );
  });

  describe('a misspelt option, however the module is configured, rather than a service that runs without it', () => {
    // `globalGuards` for `globalGuard`: left as a warning, every route would answer without a token.
    const misspelt = { globalGuards: true } as unknown as MicrokubesModuleOptions['security'];
    const expected = new MicrokubesOptionsError('security.globalGuards', 'is not an option; did you mean "globalGuard"?');
    const keys = platformKeysDir();
    afterAll(() => keys.remove());
    const serviceConfig = join(dir, 'service-config.json');
    writeFileSync(serviceConfig, JSON.stringify({ security: { keysDir: keys.dir, jwt: {}, unknownField: 'the file may hold what it likes' } }));
    const boot = (module: DynamicModule) => startApp('express', { imports: [module], controllers: [HelloController] });

    it.each<[string, () => DynamicModule]>([
      ['forRoot', () => MicrokubesModule.forRoot({ keysDir: keys.dir, security: misspelt })],
      ['forRootAsync', () => MicrokubesModule.forRootAsync({ useFactory: async () => ({ keysDir: keys.dir, security: misspelt }) })],
      ['forServiceConfig', () => MicrokubesModule.forServiceConfig({ configFile: serviceConfig, security: misspelt } as ServiceConfigSource)],
    ])('%s', async (_how, module) => {
      await expect(boot(module())).rejects.toThrow(expected);
    });

    it('while a service config file keeps its unknown fields to itself', async () => {
      const app = await boot(MicrokubesModule.forServiceConfig(serviceConfig));
      await app.close();
    });
  });

  it('a key file that cannot be parsed', async () => {
    writeFileSync(join(dir, 'default.pub'), 'not a key');
    const error = await start({ keysDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as Error).message).toContain(join(dir, 'default.pub'));
    rmSync(join(dir, 'default.pub'));
  });

  it('a strategy with no key to verify tokens with', async () => {
    await expect(start({})).rejects.toThrow(
      'Invalid MicrokubesModule option "security.jwt": cannot verify tokens: neither keysDir nor keys is set (or turn it off with jwt: false)',
    );
    await expect(start({ keysDir: dir })).rejects.toThrow(`no public key (*.pub) was found in ${dir}`);
    await expect(start({ keysDir: dir, security: { jwt: false } })).rejects.toThrow('"security.oauth2"');
  });

  it('refuses a context no transport knows (a custom one), with a debug line that names it', async () => {
    const keys = platformKeysDir();
    const app = await start({ keysDir: keys.dir });
    try {
      const context = new ExecutionContextHost([{}, {}], HelloController, HelloController.prototype.hello);
      context.setType('mqtt-bridge');
      expect(await app.app.get(MicrokubesAuthGuard).canActivate(context)).toBe(false);
      expect(app.logger.lines).toContain(
        'Refused a mqtt-bridge call to HelloController.hello: the module secures HTTP routes, GraphQL resolvers, WebSocket gateways and message handlers; mark it @Public() to let it through',
      );
    } finally {
      await app.close();
      keys.remove();
    }
  });

  it('but starts with both strategies off, refusing every secured request', async () => {
    const app = await start({ security: { jwt: false, oauth2: false } });
    try {
      const response = await fetch(`${app.url}/hello`, { headers: { authorization: 'Bearer x.y.z' } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ code: 401, message: 'no authentication strategy is configured' });
      expect(app.logger.lines).toContain('No authentication strategy is enabled: MicrokubesAuthGuard refuses every request');
    } finally {
      await app.close();
    }
  });
});
