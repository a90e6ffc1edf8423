import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
import { rpcServerOptions } from '../../sample/src/rpc-settings.js';
import { startTelemetryFromEnvironment } from '../../sample/src/telemetry-settings.js';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, freePort, getJson, startApp, type RunningApp } from '../support/test-app.js';

/** The sample with METRICS_PORT: its Prometheus endpoint, scraped as Prometheus would. */
describe('the sample service, with METRICS_PORT', () => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let stopTelemetry: (() => Promise<void>) | undefined;
  let metricsUrl: string;

  beforeAll(async () => {
    keys = platformKeysDir();
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    Object.assign(process.env, { MICROKUBES_KEYS_DIR: keys.dir, RPC_PORT: String(await freePort()) });
    stopTelemetry = await startTelemetryFromEnvironment({ METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    running = await startApp('express', { imports: [AppModule] }, 0, { microservices: [rpcServerOptions()] });
  });
  afterAll(async () => {
    for (const name of ['MICROKUBES_KEYS_DIR', 'RPC_PORT']) delete process.env[name];
    await running?.close();
    await stopTelemetry?.();
    keys?.remove();
  });

  it('counts its callers by strategy and reason, its role checks and its token cache, on GET /metrics', async () => {
    const user = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'jane@example.com' });
    for (let i = 0; i < 3; i++) expect((await getJson(`${running.url}/hello`, bearer(user))).status).toBe(200);
    expect((await getJson(`${running.url}/hello`)).status).toBe(401);
    expect((await getJson(`${running.url}/admin`, bearer(user))).status).toBe(403);
    const text = await (await fetch(metricsUrl)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')}[^ ]* (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('microkubes_authentication_attempts_total{microkubes_transport="http",microkubes_authentication_strategy="jwt",microkubes_authentication_result="success"')).toBe(4);
    expect(value('microkubes_authentication_attempts_total{microkubes_transport="http",microkubes_authentication_strategy="none",microkubes_authentication_result="failure",microkubes_authentication_reason="missing"')).toBe(1);
    expect(value('microkubes_authorization_decisions_total{microkubes_transport="http",microkubes_authorization_layer="roles",microkubes_authorization_result="deny"')).toBe(1);
    expect(value('microkubes_token_cache_lookups_total{microkubes_token_cache_result="hit"')).toBe(2);
    expect(value('microkubes_authentication_duration_count{microkubes_transport="http",microkubes_authentication_strategy="jwt",microkubes_authentication_result="success"')).toBe(4);
    expect(text).toMatch(/^microkubes_key_store_keys\{microkubes_key_store_key_kind="public"/m);
  });
});
