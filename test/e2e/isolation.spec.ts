import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesModule } from '../../lib/index.js';
import { CallerService, HelloController, ScopedController } from '../support/hello.controller.js';
import { authServerToken, jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, PLATFORMS, startApp, type RunningApp } from '../support/test-app.js';

const REQUESTS = 2_000;
const CONCURRENCY = 100;
const USERS = 50;

describe.each(PLATFORMS)('concurrent requests from different users (%s)', (platform) => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let tokens: Array<{ userId: string; token: string }>;

  beforeAll(async () => {
    keys = platformKeysDir();
    // Half the users sign in through jwt-issuer, half come with OAuth2 access tokens.
    tokens = Array.from({ length: USERS }, (_, i) => {
      const userId = `user-${i}`;
      const username = `user${i}@example.com`;
      const token = i % 2 === 0
        ? jwtIssuerToken(keys.default.privateKey, { userId, username, roles: [`role-${i}`] })
        : authServerToken(keys.authServer.privateKey, { clientId: `client-${i}`, userId, username, roles: [`role-${i}`] });
      return { userId, token };
    });
    running = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir })],
      controllers: [HelloController, ScopedController],
      providers: [CallerService],
    });
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it.each(['/hello', '/scoped'])(`answers ${REQUESTS} requests at ${CONCURRENCY} at once, each with its own caller (%s)`, async (path) => {
    let next = 0;
    const mismatches: string[] = [];
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (next < REQUESTS) {
        const caller = tokens[next++ % USERS]!;
        const response = await fetch(`${running.url}${path}`, bearer(caller.token));
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const body = (await response.json()) as { userId?: string; auth?: { userId: string; roles: string[] } };
        const userId = body.auth?.userId ?? body.userId;
        if (userId !== caller.userId) mismatches.push(`${caller.userId} got ${userId}`);
        if (body.auth && body.auth.roles[0] !== `role-${caller.userId.slice(5)}`) mismatches.push(`${caller.userId} got roles ${body.auth.roles}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS });
    expect(mismatches).toEqual([]);
  });
});
