import { Controller, Get, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesAuthGuard, MicrokubesModule, type AclPolicy } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { jwtIssuerToken, platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, PLATFORMS, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

/**
 * The review's denial of service: patterns with several unbounded repetitions, which a
 * backtracking engine matches in O(n^3) (a 2,037-character request held the event loop for 3.3 s,
 * a 4,007-character one 23.7 s), against paths up to the cap. Here they run on RE2: a request sent
 * meanwhile is answered as if nothing else were going on.
 */
const PUBLIC_PATTERN = '/wild/.*/.*/.*\\.js';
const POLICIES: AclPolicy[] = [
  { id: 'wild', effect: 'allow', subjects: ['<.+>'], resources: ['/wild/<.*>/<.*>/<.*>/meta'], actions: ['api:read'] },
  { id: 'hello', effect: 'allow', subjects: ['<.+>'], resources: ['/hello'], actions: ['api:read'] },
];
/** As long as the firewall lets through (2,048), and shaped to make backtracking try every split. */
const ADVERSARIAL = `/wild/${'a/'.repeat(1020)}x`;

@Controller()
@UseGuards(MicrokubesAuthGuard)
class ExpressWildController {
  @Get('wild/*rest') wild() { return { wild: true }; }
}
@Controller()
@UseGuards(MicrokubesAuthGuard)
class FastifyWildController {
  @Get('wild/*') wild() { return { wild: true }; }
}

describe.each(PLATFORMS)('patterns that would stall a backtracking engine (%s)', (platform: HttpPlatform) => {
  let keys: PlatformKeysDir;
  let app: RunningApp;
  let token: string;

  beforeAll(async () => {
    keys = platformKeysDir();
    app = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: { publicRoutes: [PUBLIC_PATTERN] }, acl: { policies: POLICIES } })],
      controllers: [HelloController, platform === 'fastify' ? FastifyWildController : ExpressWildController],
    });
    token = jwtIssuerToken(keys.default.privateKey, { userId: 'u-1', username: 'alice@example.com' });
  });
  afterAll(async () => {
    await app?.close();
    keys?.remove();
  });

  it('are judged as usual on adversarial paths up to the cap', async () => {
    expect(ADVERSARIAL.length).toBeLessThanOrEqual(2048);
    expect((await fetch(`${app.url}${ADVERSARIAL}`)).status).toBe(401);
    expect((await fetch(`${app.url}${ADVERSARIAL}`, bearer(token))).status).toBe(403);
    expect((await fetch(`${app.url}/wild/a/b/c.js`)).status).toBe(200);
    expect((await fetch(`${app.url}/wild/a/b/c/meta`, bearer(token))).status).toBe(200);
  });

  it('cannot delay a concurrent request: /hello answers within a bound while 40 adversarial requests are judged', async () => {
    const flood = Array.from({ length: 40 }, (_, i) => fetch(`${app.url}${ADVERSARIAL}`, i % 2 ? bearer(token) : {}).then((response) => response.status));
    const started = performance.now();
    const hello = await fetch(`${app.url}/hello`, bearer(token));
    const waited = performance.now() - started;
    expect(hello.status).toBe(200);
    expect(new Set(await Promise.all(flood))).toEqual(new Set([401, 403]));
    // A backtracking engine took 3.3 s for one of these requests; RE2 takes microseconds.
    expect(waited).toBeLessThan(1_000);
  });
});
