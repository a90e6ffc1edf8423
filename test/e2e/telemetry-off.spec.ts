import { metrics } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesModule } from '../../lib/index.js';
import { SecurityTelemetry } from '../../lib/telemetry/security-telemetry.js';
import { badTokens, jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { HelloController } from '../support/hello.controller.js';
import { installSdk } from '../support/telemetry-sdk.js';
import { bearer, getJson, startApp, type RunningApp } from '../support/test-app.js';

const user = { userId: 'u1', username: 'ann@example.com' };

/** This file's process has no OpenTelemetry SDK until the last test registers one, too late. */
describe('telemetry without an SDK', () => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  const start = (options: object = {}): Promise<RunningApp> =>
    startApp('express', { imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, watchKeys: false, ...options })], controllers: [HelloController] });

  it('records nothing, and the app answers as ever', async () => {
    const running = await start();
    try {
      expect(running.app.get(SecurityTelemetry).recording).toBe(false);
      const token = jwtIssuerToken(keys.default.privateKey, user);
      for (let i = 0; i < 3; i++) expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(200);
      expect((await getJson(`${running.url}/hello`, bearer(badTokens.expired(keys.default.privateKey, user)))).body).toEqual({ code: 401, message: 'token expired' });

      // An SDK registered after the app was created: the module's meter is the API's no-op one still.
      const sdk = installSdk();
      try {
        for (let i = 0; i < 3; i++) expect((await getJson(`${running.url}/hello`, bearer(token))).status).toBe(200);
        expect(await sdk.series()).toEqual([]);
      } finally {
        await sdk.uninstall();
      }
      expect(metrics.getMeter('probe').createCounter('probe')).toBe(metrics.getMeter('other').createCounter('other'));
    } finally {
      await running.close();
    }
  });

  it('with telemetry: false, is off whatever is installed', async () => {
    const running = await start({ telemetry: false });
    try {
      expect(running.app.get(SecurityTelemetry)).toBe(SecurityTelemetry.off);
      expect((await getJson(`${running.url}/hello`, bearer(jwtIssuerToken(keys.default.privateKey, user)))).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
