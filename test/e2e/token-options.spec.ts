import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth, CurrentAuth, MicrokubesModule, Public, type MicrokubesModuleOptions } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { authServerToken, jwtIssuerToken, platformKeysDir, signClaims, type PlatformKeysDir } from '../../lib/testing/index.js';
import { bearer, getJson, PLATFORMS, withRunningApp, type HttpPlatform, type RunningApp } from '../support/test-app.js';

const now = () => Math.floor(Date.now() / 1000);
const user = { userId: 'u1', username: 'ann@example.com', roles: 'user', scopes: 'api:read' };

function withApp(platform: HttpPlatform, options: MicrokubesModuleOptions, run: (app: RunningApp) => Promise<void>) {
  return withRunningApp(platform, { imports: [MicrokubesModule.forRoot(options)], controllers: [HelloController] }, run);
}

describe.each(PLATFORMS)('token verification options (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  it('uses only the key a kid names', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }) => {
      const claims = { ...user, exp: now() + 60 };
      const named = signClaims(keys.system.privateKey, claims, { algorithm: 'RS512', keyid: 'system' });
      const misnamed = signClaims(keys.system.privateKey, claims, { algorithm: 'RS512', keyid: 'default' });
      expect((await getJson(`${url}/hello`, bearer(named))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(misnamed))).body.message).toBe('invalid signature');
    });
  });

  it('accepts PS256/PS512 with RSA keys and ES256/ES384/ES512 with EC keys of the matching curve', async () => {
    const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
    const p256 = ec('prime256v1');
    const p384 = ec('secp384r1');
    const p521 = ec('secp521r1');
    writeFileSync(join(keys.dir, 'p256.pub'), p256.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(keys.dir, 'p384.pub'), p384.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(keys.dir, 'p521.pub'), p521.publicKey.export({ type: 'spki', format: 'pem' }));
    try {
      await withApp(platform, { keysDir: keys.dir, watchKeys: false }, async ({ url }) => {
        const claims = { ...user, exp: now() + 60 };
        const accepted = [
          signClaims(keys.default.privateKey, claims, { algorithm: 'PS256' }),
          signClaims(keys.authServer.privateKey, claims, { algorithm: 'PS512' }),
          signClaims(p256.privateKey, claims, { algorithm: 'ES256' }),
          signClaims(p384.privateKey, claims, { algorithm: 'ES384' }),
          signClaims(p521.privateKey, claims, { algorithm: 'ES512' }),
          signClaims(p256.privateKey, claims, { algorithm: 'ES256', keyid: 'p256' }),
        ];
        for (const token of accepted) expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(200);
        // A P-256 key cannot stand behind ES384, even when the kid names it.
        const mismatched = signClaims(p384.privateKey, claims, { algorithm: 'ES384', keyid: 'p256' });
        expect((await getJson(`${url}/hello`, bearer(mismatched))).body.message).toBe('key id does not fit algorithm ES384');
      });
    } finally {
      for (const name of ['p256', 'p384', 'p521']) rmSync(join(keys.dir, `${name}.pub`));
    }
  });

  it('accepts HS256 only with the configured secret, never with the public key as secret', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    await withApp(platform, { keysDir: keys.dir, security: { jwt: { hmacSecret: secret } } }, async ({ url }) => {
      const claims = { ...user, exp: now() + 60 };
      expect((await getJson(`${url}/hello`, bearer(signClaims(secret, claims, { algorithm: 'HS256' })))).status).toBe(200);
      const forged = signClaims(keys.default.publicPem, claims, { algorithm: 'HS256' });
      expect((await getJson(`${url}/hello`, bearer(forged))).body.message).toBe('invalid signature');
    });
  });

  it('checks issuer and audience when configured', async () => {
    const options = { keysDir: keys.dir, security: { jwt: { issuer: 'Microkubes JWT Authority', audience: 'hello' }, oauth2: false as const } };
    await withApp(platform, options, async ({ url }) => {
      const base = { ...user, exp: now() + 60, iss: 'Microkubes JWT Authority' };
      expect((await getJson(`${url}/hello`, bearer(signClaims(keys.default.privateKey, { ...base, aud: 'hello' })))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(signClaims(keys.default.privateKey, base)))).body.message).toBe('token audience not accepted');
      const otherIssuer = signClaims(keys.default.privateKey, { ...base, aud: 'hello', iss: 'Someone Else' });
      expect((await getJson(`${url}/hello`, bearer(otherIssuer))).body.message).toBe('token issuer not accepted');
    });
  });

  it('allows the configured clock tolerance on exp and nbf, and no more', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { jwt: { clockTolerance: 30 } } }, async ({ url }) => {
      const sign = (claims: object) => signClaims(keys.default.privateKey, { ...user, ...claims });
      expect((await getJson(`${url}/hello`, bearer(sign({ exp: now() - 10 })))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(sign({ exp: now() + 60, nbf: now() + 10 })))).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(sign({ exp: now() - 60 })))).status).toBe(401);
      expect((await getJson(`${url}/hello`, bearer(sign({ exp: now() + 120, nbf: now() + 60 })))).status).toBe(401);
    });
  });

  it('reads the token from a configured header and scheme', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { jwt: { header: 'X-Auth-Token', scheme: null }, oauth2: false } }, async ({ url }) => {
      const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      expect((await getJson(`${url}/hello`, { headers: { 'x-auth-token': token } })).status).toBe(200);
      expect((await getJson(`${url}/hello`, bearer(token))).status).toBe(401);
    });
  });

  it('answers 403 insufficient_scope when an OAuth2 token lacks a required scope', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { oauth2: { requiredScopes: ['api:write'] } } }, async ({ url }) => {
      const grant = { clientId: 'c1', userId: 'u1', username: 'ann@example.com' };
      const readOnly = authServerToken(keys.authServer.privateKey, { ...grant, scope: 'api:read' });
      const { status, body, headers } = await getJson(`${url}/hello`, bearer(readOnly));
      expect(status).toBe(403);
      expect(body).toEqual({ code: 403, message: 'token lacks a required scope' });
      expect(headers.get('www-authenticate')).toBe(
        'Bearer realm="microkubes", error="insufficient_scope", error_description="token lacks a required scope", scope="api:write"',
      );
      const readWrite = authServerToken(keys.authServer.privateKey, { ...grant, scope: 'api:read api:write' });
      expect((await getJson(`${url}/hello`, bearer(readWrite))).status).toBe(200);
    });
  });

  it('with OAuth2 off, the JWT strategy takes access tokens too (without clientId)', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { oauth2: false } }, async ({ url }) => {
      const token = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u1', username: 'ann@example.com' });
      const { status, body } = await getJson(`${url}/hello`, bearer(token));
      expect(status).toBe(200);
      expect(body.auth.strategy).toBe('jwt');
      expect(body.auth.clientId).toBeUndefined();
    });
  });

  it('with JWT off, only the authorization server’s tokens pass', async () => {
    await withApp(platform, { keysDir: keys.dir, security: { jwt: false } }, async ({ url }) => {
      const access = authServerToken(keys.authServer.privateKey, { clientId: 'c1', userId: 'u1', username: 'ann@example.com' });
      expect((await getJson(`${url}/hello`, bearer(access))).body.auth.clientId).toBe('c1');
      const signIn = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
      expect((await getJson(`${url}/hello`, bearer(signIn))).body.message).toBe('token issuer not accepted');
    });
  });

  it('a forged access token is refused by OAuth2, not passed on', async () => {
    await withApp(platform, { keysDir: keys.dir }, async ({ url }) => {
      const forged = signClaims(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, {
        ...user, exp: now() + 60, iss: 'Microkubes Authorization Server', sub: 'c1',
      }, { algorithm: 'RS256' });
      expect((await getJson(`${url}/hello`, bearer(forged))).body).toEqual({ code: 401, message: 'invalid signature' });
    });
  });
});

describe('OAuth2 with a JSON Web Key Set (jwksUri)', () => {
  let jwks: Server;
  let jwksUrl: string;
  let jwksFetches = 0;
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'as-1', use: 'sig', alg: 'RS256' };
    jwks = createServer((_request, response) => {
      jwksFetches++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  it('verifies access tokens against the published keys, by kid', async () => {
    await withApp('express', { security: { jwt: false, oauth2: { jwksUri: jwksUrl, issuer: 'https://as.example.com' } } }, async ({ url }) => {
      const claims = { ...user, exp: now() + 60, iss: 'https://as.example.com', sub: 'client-9' };
      const token = signClaims(pair.privateKey, claims, { algorithm: 'RS256', keyid: 'as-1' });
      const { status, body } = await getJson(`${url}/hello`, bearer(token));
      expect(status).toBe(200);
      expect(body.auth).toMatchObject({ clientId: 'client-9', strategy: 'oauth2' });
      const unknownKid = signClaims(pair.privateKey, claims, { algorithm: 'RS256', keyid: 'as-2' });
      expect((await getJson(`${url}/hello`, bearer(unknownKid))).body.message).toBe('unknown key id');
      const otherSigner = signClaims(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, claims, { algorithm: 'RS256', keyid: 'as-1' });
      expect((await getJson(`${url}/hello`, bearer(otherSigner))).body.message).toBe('invalid signature');
      // The JWK pins RS256: the same key with another RSA algorithm is refused.
      const otherAlgorithm = signClaims(pair.privateKey, claims, { algorithm: 'PS256', keyid: 'as-1' });
      expect((await getJson(`${url}/hello`, bearer(otherAlgorithm))).body.message).toBe('key id does not fit algorithm PS256');
    });
  });

  it('does not fetch the key set again for every made-up kid, and keeps the known keys', async () => {
    await withApp('express', { security: { jwt: false, oauth2: { jwksUri: jwksUrl, issuer: null } } }, async ({ url }) => {
      const before = jwksFetches;
      const claims = { ...user, exp: now() + 60 };
      for (let i = 0; i < 20; i++) {
        const forged = signClaims(pair.privateKey, claims, { algorithm: 'RS256', keyid: `made-up-${i}` });
        expect((await getJson(`${url}/hello`, bearer(forged))).body.message).toBe('unknown key id');
      }
      expect(jwksFetches - before).toBeLessThanOrEqual(1);
      const valid = signClaims(pair.privateKey, claims, { algorithm: 'RS256', keyid: 'as-1' });
      expect((await getJson(`${url}/hello`, bearer(valid))).status).toBe(200);
    });
  });

  it('starts when the key set cannot be fetched yet, and refuses tokens meanwhile', async () => {
    await withApp('express', { security: { jwt: false, oauth2: { jwksUri: 'http://127.0.0.1:9/jwks.json', issuer: null } } }, async ({ url, logger }) => {
      expect(logger.lines.some((line) => line.startsWith('Cannot fetch http://127.0.0.1:9/jwks.json yet'))).toBe(true);
      const token = signClaims(pair.privateKey, { ...user, exp: now() + 60 }, { algorithm: 'RS256', keyid: 'as-1' });
      expect((await getJson(`${url}/hello`, bearer(token))).body).toEqual({ code: 401, message: 'signing keys are unavailable' });
    });
  });
});

@Controller('global')
class UnguardedController {
  @Get()
  secured(@CurrentAuth() auth: Auth) {
    return { username: auth.username };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }
}

@Injectable()
class SettingsService {
  readonly keysDir = process.env.TEST_KEYS_DIR!;
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

describe.each(PLATFORMS)('module wiring (%s)', (platform) => {
  let keys: PlatformKeysDir;
  beforeAll(() => {
    keys = platformKeysDir();
  });
  afterAll(() => keys.remove());

  it('applies the guard to every route with security.globalGuard', async () => {
    await withRunningApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir, security: { globalGuard: true } })],
      controllers: [UnguardedController],
    }, async (app) => {
        const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
        expect((await getJson(`${app.url}/global`)).status).toBe(401);
        expect((await getJson(`${app.url}/global`, bearer(token))).body).toEqual({ username: 'ann@example.com' });
        expect((await getJson(`${app.url}/global/open`)).status).toBe(200);
    });
  });

  it('leaves unguarded routes alone without it', async () => {
    await withRunningApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir })],
      controllers: [UnguardedController],
    }, async (app) => {
        // No guard ran, so there is no Auth: @CurrentAuth() refuses rather than inventing one.
        expect((await getJson(`${app.url}/global`)).body).toEqual({ code: 401, message: 'not authenticated' });
    });
  });

  it('is configured asynchronously with forRootAsync', async () => {
    process.env.TEST_KEYS_DIR = keys.dir;
    await withRunningApp(platform, {
      imports: [
        MicrokubesModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SettingsService],
          useFactory: async (settings: SettingsService) => ({ keysDir: settings.keysDir }),
        }),
      ],
      controllers: [HelloController],
    }, async (app) => {
        const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'ann@example.com' });
        expect((await getJson(`${app.url}/hello`, bearer(token))).status).toBe(200);
    });
  });
});
