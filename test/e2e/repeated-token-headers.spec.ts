import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { GRAPHQL_RESOLVERS, GRAPHQL_SETUPS, graphqlModule } from '../support/graphql-app.js';
import { HelloController } from '../support/hello.controller.js';
import { PLATFORMS, startApp, type RunningApp } from '../support/test-app.js';

/** A request written on a raw socket, headers as pairs (one name may come twice): its status and JSON body. */
function send(url: string, method: string, target: string, headers: Array<[string, string]>, body = ''): Promise<{ status: number; body: any; head: string }> {
  const { hostname, port } = new URL(url);
  const all: Array<[string, string]> = [['Host', hostname], ...headers, ['Content-Length', String(Buffer.byteLength(body))], ['Connection', 'close']];
  const request = `${method} ${target} HTTP/1.1\r\n${all.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const response = Buffer.concat(chunks).toString();
      const head = response.slice(0, response.indexOf('\r\n\r\n'));
      const text = response.slice(response.indexOf('\r\n\r\n') + 4);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0), body: parsed, head });
    });
  });
}

describe.each(PLATFORMS)('a token header sent twice is ambiguous, refused (HTTP routes, %s)', (platform) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(platform, { imports: [kit.module()], controllers: [HelloController] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('refuses two Authorization headers (a valid one first, or last) with 401, where Node would keep the first', async () => {
    const valid = kit.authorization();
    for (const headers of [
      [['Authorization', valid], ['Authorization', 'Bearer forged']],
      [['authorization', 'Bearer forged'], ['AUTHORIZATION', valid]],
      [['Authorization', valid], ['authorization', valid]],
    ] as Array<Array<[string, string]>>) {
      const { status, body, head } = await send(running.url, 'GET', '/hello', headers);
      expect(status).toBe(401);
      expect(body).toEqual({ code: 401, message: 'ambiguous credentials: 2 authorization headers' });
      expect(head).toMatch(/www-authenticate: Bearer .*error="invalid_token"/i);
    }
  });

  it('still answers one Authorization header', async () => {
    expect((await send(running.url, 'GET', '/hello', [['Authorization', kit.authorization()]])).status).toBe(200);
  });
});

describe.each(GRAPHQL_SETUPS)('a token header sent twice is ambiguous, refused (GraphQL, $name)', ({ platform, driver }) => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(platform, { imports: [kit.module({ acl: { enforcePolicies: false } }), graphqlModule(driver)], providers: GRAPHQL_RESOLVERS });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it('refuses an operation with two Authorization headers as UNAUTHENTICATED', async () => {
    const body = JSON.stringify({ query: '{ whoami { userId } }' });
    const json: Array<[string, string]> = [['Content-Type', 'application/json']];
    const refused = await send(running.url, 'POST', '/graphql', [...json, ['Authorization', kit.authorization()], ['Authorization', 'Bearer forged']], body);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors[0]).toMatchObject({ message: 'ambiguous credentials: 2 authorization headers', extensions: { code: 'UNAUTHENTICATED' } });
    const answered = await send(running.url, 'POST', '/graphql', [...json, ['Authorization', kit.authorization({ userId: 'one' })]], body);
    expect(answered.body).toEqual({ data: { whoami: { userId: 'one' } } });
  });
});
