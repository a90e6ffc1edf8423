import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamlRedisClient, SamlSecurityOptions } from '../../lib/index.js';
import { RedisRequestIdStore } from '../../lib/saml/redis-request-id.store.js';
import { LoginBrowsers, platformKeysDir, TestIdentityProvider, type PlatformKeysDir } from '../../lib/testing/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startSamlApp, type SamlApp } from '../support/saml-app.js';

const IDP = { entityId: 'http://idp.test/saml/idp/metadata', ssoUrl: 'http://idp.test/saml/idp/sso' };

/** Both clients the option takes, connected to the same server. */
const CLIENTS = {
  redis: async (url: string) => {
    const client = createClient({ url });
    await client.connect();
    return { client: client as unknown as SamlRedisClient, close: async () => void (await client.quit()) };
  },
  ioredis: async (url: string) => {
    const client = new Redis(url);
    return { client: client as unknown as SamlRedisClient, close: async () => void (await client.quit()) };
  },
};

describe.each(Object.keys(CLIENTS) as Array<keyof typeof CLIENTS>)('request ids in a real Redis, with the %s client', (clientName) => {
  let redis: RedisServer;
  let keys: PlatformKeysDir;
  let connection: { client: SamlRedisClient; close(): Promise<void> };
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    redis = await startRedis();
    keys = platformKeysDir();
    idp = new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml });
    connection = await CLIENTS[clientName](redis.url);
  });
  afterAll(async () => {
    await connection?.close();
    await redis?.stop();
    keys?.remove();
  });

  /** Two replicas of one service (one entity id, one ACS behind a balancer), each its own process state. */
  async function replicas(store: SamlSecurityOptions['requestIdStore']): Promise<[SamlApp, SamlApp]> {
    const first = await startSamlApp(keys.dir, IDP, { requestIdStore: store });
    const second = await startSamlApp(keys.dir, IDP, { requestIdStore: store, entityId: first.entityId, acsUrl: first.acsUrl });
    return [first, second];
  }

  /** One browser; its login cookie names the service (one entity id), so it reaches every replica. */
  const browser = new LoginBrowsers();

  async function loginStartedAt(app: SamlApp, acsUrl: string, entityId: string): Promise<string> {
    const { id } = (await browser.start(`${app.url}/saml/login?RelayState=/page`)).request;
    return idp.signedResponse({ inResponseTo: id, destination: acsUrl, recipient: acsUrl, audience: entityId, uid: 'u1', username: 'jane@example.com', roles: ['user'] });
  }

  it('lets a login started on one replica finish on another', async () => {
    const [first, second] = await replicas({ redis: connection.client, prefix: `test:${clientName}:` });
    try {
      const xml = await loginStartedAt(first, first.acsUrl, first.entityId);
      // The balancer sends the IdP's post to the second replica (its own ACS address).
      const response = await browser.post(`${second.url}/saml/acs`, xml, '/page');
      expect(response.status).toBe(302);
      expect(response.headers.getSetCookie()[0]).toMatch(/^microkubes_saml_[0-9a-f]{8}=/);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('lets one of a Response replayed to both replicas at once through', async () => {
    const [first, second] = await replicas({ redis: connection.client, prefix: `test:${clientName}:` });
    try {
      const xml = await loginStartedAt(first, first.acsUrl, first.entityId);
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => browser.post(`${(i % 2 ? first : second).url}/saml/acs`, xml, '/page').then((r) => r.status)),
      );
      expect(statuses.filter((status) => status === 302)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(9);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('keeps an id until its TTL, and hands it out once', async () => {
    const store = new RedisRequestIdStore(connection.client, `test:${clientName}:ttl:`);
    await store.save('_a', '2026-11-28T00:00:00Z', 150);
    expect(await store.get('_a')).toBe('2026-11-28T00:00:00Z');
    await store.save('_b', 'x', 60_000);
    const takes = await Promise.all([store.take('_b'), store.take('_b'), store.take('_b')]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.get('_a')).toBeNull();
    expect(await store.take('_a')).toBe(false);
  });
});

describe('request ids in memory (the default)', () => {
  it('cannot finish on another replica what one started: the reason to configure Redis', async () => {
    const keys = platformKeysDir();
    const idp = new TestIdentityProvider({ entityId: IDP.entityId, keys: keys.saml });
    const first = await startSamlApp(keys.dir, IDP);
    const second = await startSamlApp(keys.dir, IDP, { entityId: first.entityId, acsUrl: first.acsUrl });
    try {
      const browser = new LoginBrowsers();
      const { id } = (await browser.start(`${first.url}/saml/login`)).request;
      const xml = idp.signedResponse({ inResponseTo: id, destination: first.acsUrl, recipient: first.acsUrl, audience: first.entityId, uid: 'u1', username: 'jane@example.com' });
      expect((await browser.post(`${second.url}/saml/acs`, xml)).status).toBe(401);
      expect((await browser.post(`${first.url}/saml/acs`, xml)).status).toBe(302);
    } finally {
      await Promise.all([first.close(), second.close()]);
      keys.remove();
    }
  });
});
