import { Controller, Get, Param, Post } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesModule, Public, type RequestFirewallOptions } from '../../lib/index.js';
import { platformKeysDir, type PlatformKeysDir } from '../../lib/testing/index.js';
import { PLATFORMS, rawRequest, startApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

/** Public routes that echo what the handler received: whatever reaches them passed the firewall. */
@Controller()
@Public()
class EchoController {
  @Get('files/:name') file(@Param('name') name: string) { return { name }; }
  @Get('files/:name/meta') meta(@Param('name') name: string) { return { name, meta: true }; }
  @Post('files/:name') upload(@Param('name') name: string) { return { name, uploaded: true }; }
  @Get('plain') plain() { return { plain: true }; }
}

/** A route that takes a path of any length, in each router's syntax. */
@Controller('tree')
@Public()
class ExpressTreeController {
  @Get('*rest') tree() { return { tree: true }; }
}
@Controller('tree')
@Public()
class FastifyTreeController {
  @Get('*') tree() { return { tree: true }; }
}

/** [request target, the rule that refuses it] */
const REFUSED: Array<[string, string]> = [
  ['/files/a%2Fb', 'encoded slash'],
  ['/files/a%2fb', 'encoded slash'],
  ['/files/a%5Cb', 'encoded backslash'],
  ['/files/a%5cb', 'encoded backslash'],
  ['/files/a\\b', 'backslash'],
  ['/files/%2E%2E/plain', 'encoded period'],
  ['/files/%2e', 'encoded period'],
  ['/files/a%252Fb', 'encoded percent'],
  ['/files/./plain', 'dot segment'],
  ['/files/../plain', 'dot segment'],
  ['/files/..', 'dot segment'],
  ['/files/a/./meta', 'dot segment'],
  ['//files/a', 'empty segment'],
  ['/files//a', 'empty segment'],
  ['/files/a;x=1', '";"'],
  ['/files/a%3Bx', 'encoded ";"'],
  ['/files/a%00', 'encoded control character'],
  ['/files/a%0d%0aSet-Cookie:%20x', 'encoded control character'],
  ['/files/a%7F', 'encoded control character'],
  ['/files/%zz', 'malformed percent-encoding'],
  ['/files/a%2', 'malformed percent-encoding'],
  ['/files/%C0%AE', 'invalid UTF-8'],
  ['/files/%FF', 'invalid UTF-8'],
  ['http://evil.example/files/a%2Fb', 'encoded slash'],
  ['http://evil.example/files/../plain', 'dot segment'],
];

/**
 * Absolute-form targets whose authority URL parsers read differently: Express's url.parse moves
 * what follows a port that is not a number into the path (`http://h:..%2F..%2Fetc/download`
 * routes to `/:file/download`), Fastify's WHATWG parser refuses it. Refused by the firewall, or
 * before it by Node's parser or Fastify's router, with their own 400: never routed.
 */
const ODD_AUTHORITIES = [
  'http://h:..%2F..%2Fetc%2Fpasswd/files/a', 'http://h:x%2F..%2Fetc/files/a', 'http://h:8080x/files/a', 'http://user@h/files/a',
  'http://h%2Fx/files/a', 'http://h\\x/files/a', 'ftp://h/files/a', `http://h:${'a'.repeat(3000)}/files/a`,
];

/** Nothing ambiguous: each reaches its route. */
const PASSED: Array<[string, unknown]> = [
  ['/files/a', { name: 'a' }],
  ['/files/a%20b', { name: 'a b' }],
  ['/files/caf%C3%A9', { name: 'café' }],
  ['/files/a.b', { name: 'a.b' }],
  ['/files/.hidden', { name: '.hidden' }],
  ['/files/a..b', { name: 'a..b' }],
  ['/files/a?next=%2F..%2F;x', { name: 'a' }],
  ['/files/a/meta', { name: 'a', meta: true }],
  ['/plain', { plain: true }],
  ['http://evil.example/files/a', { name: 'a' }],
  ['http://evil.example:8080/files/a', { name: 'a' }],
  ['https://127.0.0.1/files/a?x', { name: 'a' }],
  ['http://[::1]:80/files/a', { name: 'a' }],
];

function withFirewall(platform: HttpPlatform, keys: PlatformKeysDir, firewall?: RequestFirewallOptions | false, maxPathLength?: number) {
  return startApp(platform, {
    imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, healthCheck: false, security: { firewall, maxPathLength } })],
    controllers: [EchoController, platform === 'fastify' ? FastifyTreeController : ExpressTreeController],
  });
}

describe.each(PLATFORMS)('the request firewall (%s)', (platform) => {
  let keys: PlatformKeysDir;
  let app: RunningApp;

  beforeAll(async () => {
    keys = platformKeysDir();
    app = await withFirewall(platform, keys);
  });
  afterAll(async () => {
    await app?.close();
    keys?.remove();
  });

  it.each(REFUSED)('refuses %s with 400 (%s), before the route', async (target, reason) => {
    const { status, body } = await rawRequest(app.url, 'GET', target);
    expect(status).toBe(400);
    // Fastify's router refuses what it cannot decode itself, with its own 400, before any hook runs.
    if (platform === 'fastify' && /malformed|UTF-8/.test(reason)) expect(body).toMatchObject({ statusCode: 400, code: 'FST_ERR_BAD_URL' });
    else expect(body).toEqual({ code: 400, message: expect.stringContaining(reason) });
  });

  it.each(ODD_AUTHORITIES)('refuses the absolute form %s, whose authority parsers read apart', async (target) => {
    const { status, body } = await rawRequest(app.url, 'GET', target);
    expect(status).toBe(400);
    expect(body.name).toBeUndefined();
    if (platform === 'express' && !target.includes('\\')) expect(body).toEqual({ code: 400, message: 'request refused: the request target is not a path' });
  });

  it('refuses on every method, POST included', async () => {
    expect((await rawRequest(app.url, 'POST', '/files/a%2Fb', { 'content-length': '0' })).status).toBe(400);
    expect((await rawRequest(app.url, 'DELETE', '/files/../plain')).status).toBe(400);
  });

  it.each(PASSED)('lets %s through', async (target, expected) => {
    const { status, body } = await rawRequest(app.url, 'GET', target);
    expect(status).toBe(200);
    expect(body).toEqual(expected);
  });

  it('answers 414 to a path longer than security.maxPathLength (2,048 by default), however it is spelt', async () => {
    const segments = (length: number) => `/tree${'/abcdefghi'.repeat(204)}${'x'.repeat(length - 5 - 2040)}`;
    expect(segments(2048)).toHaveLength(2048);
    expect((await rawRequest(app.url, 'GET', segments(2048))).status).toBe(200);
    expect((await rawRequest(app.url, 'GET', `${segments(2048)}?${'q'.repeat(4000)}`)).status).toBe(200);
    const { status, body } = await rawRequest(app.url, 'GET', segments(2049));
    expect(status).toBe(414);
    expect(body).toEqual({ code: 414, message: 'request refused: the path is longer than 2048 characters' });
  });

  it('refuses a target that is not a path', async () => {
    expect((await rawRequest(app.url, 'GET', '*plain')).status).toBeGreaterThanOrEqual(400);
    expect((await rawRequest(app.url, 'OPTIONS', '*')).status).toBeGreaterThanOrEqual(400);
  });

  it('logs each refusal at debug level, quoted, with the rule', async () => {
    await rawRequest(app.url, 'GET', '/files/x%2Fy');
    expect(app.logger.lines).toContain('Refused GET "/files/x%2Fy": request refused: the path holds an encoded slash (%2F) (allowEncodedSlash)');
  });
});

describe.each(PLATFORMS)('each firewall rule relaxed by its own option (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys?.remove());

  const relaxations: Array<[keyof RequestFirewallOptions, string, string]> = [
    ['allowEncodedSlash', '/files/a%2Fb', '/files/a%5Cb'],
    ['allowBackslash', '/files/a%5Cb', '/files/a%2Fb'],
    ['allowEncodedPeriod', '/files/a%2Eb', '/files/%2E%2E'],
    ['allowEncodedPercent', '/files/a%25b', '/files/a%2Fb'],
    ['allowSemicolon', '/files/a;b', '/files/a%2Fb'],
    ['allowControlCharacters', '/files/a%09b', '/files/a%2Fb'],
    ['allowEmptySegments', '/files//a', '/files/a%2Fb'],
    ['allowDotSegments', '/files/x/../a', '/files/a%2Fb'],
  ];

  it.each(relaxations)('%s lets %s through and nothing else (%s is still refused)', async (option, relaxed, stillRefused) => {
    const app = await withFirewall(platform, keys, { [option]: true });
    try {
      const passed = await rawRequest(app.url, 'GET', relaxed);
      // The router decides what the request is now (200, or 404 where it routes no such path).
      expect(passed.status, relaxed).not.toBe(400);
      expect((await rawRequest(app.url, 'GET', stillRefused)).status, stillRefused).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('firewall: false turns it off, with a start-up warning', async () => {
    const app = await withFirewall(platform, keys, false);
    try {
      expect((await rawRequest(app.url, 'GET', '/files/a%2Fb')).status).toBe(200);
      expect(app.logger.lines.some((line) => line.startsWith('security.firewall is off'))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('maxPathLength moves the 414', async () => {
    const app = await withFirewall(platform, keys, undefined, 16);
    try {
      expect((await rawRequest(app.url, 'GET', '/files/abcdefghi')).status).toBe(200);
      expect((await rawRequest(app.url, 'GET', '/files/abcdefghij')).status).toBe(414);
    } finally {
      await app.close();
    }
  });
});
