import { createHmac, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { MicrokubesModule } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { b64url, jwtIssuerToken, platformKeysDir, rawToken, rsaKeyPair, signClaims, signRaw, type PlatformKeysDir } from '../../lib/testing/index.js';
import { getJson, PLATFORMS, startApp, type RunningApp } from '../support/test-app.js';

interface AttackCase {
  name: string;
  /** The whole Authorization header, or undefined to send none. */
  authorization: string | undefined;
  /** Whether a token was presented, so the challenge must carry error="invalid_token". */
  presented: boolean;
}

const payloadOf = (token: string) => token.split('.')[1]!;

/** The same bytes spelt otherwise: a bit set among those the last character of a segment leaves spare. */
function withSpareBits(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (segment.length % 4 === 0) throw new Error('no spare bits in a segment of whole groups');
  const last = alphabet.indexOf(segment[segment.length - 1]!);
  const spelt = `${segment.slice(0, -1)}${alphabet[last | 1]}`;
  if (spelt === segment || !Buffer.from(spelt, 'base64url').equals(Buffer.from(segment, 'base64url'))) throw new Error('not another spelling');
  return spelt;
}

function corpus(keys: PlatformKeysDir): AttackCase[] {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'Microkubes JWT Authority', sub: 'u1', userId: 'u1', username: 'mallory@example.com', roles: 'user', scopes: 'api:read', exp: now + 3600, iat: now, nbf: 0 };
  const valid = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'mallory@example.com' });
  const [header, , signature] = valid.split('.');
  const hmacWithPublicPem = (alg: 'HS256' | 'HS512') => {
    const data = `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    const mac = createHmac(`sha${alg.slice(2)}`, keys.default.publicPem).update(data).digest('base64url');
    return `${data}.${mac}`;
  };
  const signed = (extra: Record<string, unknown>, omit: string[] = []) => {
    const body: Record<string, unknown> = { ...claims, ...extra };
    for (const name of omit) delete body[name];
    return signRaw(keys.default.privateKey, { alg: 'RS512', typ: 'JWT' }, JSON.stringify(body));
  };
  const raw = (payloadText: string) => signRaw(keys.default.privateKey, { alg: 'RS512', typ: 'JWT' }, payloadText);
  const stranger = rsaKeyPair();
  const cases: Array<[string, string | undefined]> = [
    ['alg none', rawToken({ alg: 'none', typ: 'JWT' }, claims)],
    ['alg NONE with a signature', rawToken({ alg: 'NONE', typ: 'JWT' }, claims, signature)],
    ['HS256 signed with the public key PEM as secret', hmacWithPublicPem('HS256')],
    ['HS512 signed with the public key PEM as secret', hmacWithPublicPem('HS512')],
    ['expired', signed({ exp: now - 60 })],
    ['nbf in the future', signed({ nbf: now + 3600 })],
    ['tampered payload', `${header}.${b64url(JSON.stringify({ ...claims, roles: 'admin' }))}.${signature}`],
    ['tampered signature', `${valid.slice(0, -4)}${valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`],
    ['signature of another token', `${header}.${b64url(JSON.stringify(claims))}.${signature}`],
    ['unknown signer', signClaims(stranger.privateKey, claims)],
    ['signed by the SAML key, which signs no tokens', signClaims(createPrivateKey(readFileSync(join(keys.dir, 'service.key'))), claims)],
    ['unknown kid', signClaims(keys.default.privateKey, claims, { algorithm: 'RS512', keyid: 'nope' })],
    ['kid path traversal', signClaims(keys.default.privateKey, claims, { algorithm: 'RS512', keyid: '../../../../etc/passwd' })],
    ['kid naming a key file', signClaims(keys.default.privateKey, claims, { algorithm: 'RS512', keyid: 'default.pub' })],
    ['kid naming a private key', signClaims(keys.default.privateKey, claims, { algorithm: 'RS512', keyid: 'private.pem' })],
    ['kid of another key than the signer', signClaims(keys.default.privateKey, claims, { algorithm: 'RS512', keyid: 'system' })],
    ['kid that is not a string', signRaw(keys.default.privateKey, { alg: 'RS512', kid: 42 }, JSON.stringify(claims))],
    ['ES256 header on an RSA signature', signRaw(keys.default.privateKey, { alg: 'ES256' }, JSON.stringify(claims))],
    ['unknown algorithm', signRaw(keys.default.privateKey, { alg: 'XX999' }, JSON.stringify(claims))],
    ['HS256 without a configured secret', signClaims('a-secret-that-nobody-configured-anywhere', claims, { algorithm: 'HS256' })],
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', `${valid}.extra`],
    ['empty segments', '..'],
    ['bad base64', '!!!.@@@.###'],
    ['base64 padding', `${valid}==`],
    ['standard base64 characters', `${header}.${payloadOf(valid)}.${signature!.replace(/_/g, '/').replace(/-/g, '+')}${/[-_]/.test(signature!) ? '' : '+'}`],
    ['the signature with spare bits set (another spelling of the same bytes)', `${header}.${payloadOf(valid)}.${withSpareBits(signature!)}`],
    ['crit naming an extension', signRaw(keys.default.privateKey, { alg: 'RS512', typ: 'JWT', crit: ['exp'], exp: now + 60 }, JSON.stringify(claims))],
    ['crit, an empty list', signRaw(keys.default.privateKey, { alg: 'RS512', typ: 'JWT', crit: [] }, JSON.stringify(claims))],
    ['crit naming b64 (RFC 7797, unencoded payload)', signRaw(keys.default.privateKey, { alg: 'RS512', b64: false, crit: ['b64'] }, JSON.stringify(claims))],
    ['header not JSON', `${b64url('{not json')}.${b64url(JSON.stringify(claims))}.${signature}`],
    ['payload not JSON', raw('{oops')],
    ['payload a number', raw('123')],
    ['payload a string', raw('"jane"')],
    ['payload an array', raw('[{"userId":"u1","username":"x"}]')],
    ['payload null', raw('null')],
    ['missing userId', signed({}, ['userId'])],
    ['missing username', signed({}, ['username'])],
    ['empty userId', signed({ userId: '' })],
    ['userId a number', signed({ userId: 123 })],
    ['username a list', signed({ username: ['a@example.com'] })],
    ['roles a number', signed({ roles: 5 })],
    ['roles a list of numbers', signed({ roles: [1, 2] })],
    ['organizations an object', signed({ organizations: { acme: true } })],
    ['scopes a boolean', signed({ scopes: true })],
    ['email a number', signed({ email: 5 })],
    ['exp a string', signed({ exp: 'tomorrow' })],
    ['nbf a string', signed({ nbf: 'now' })],
    ['no exp at all', signed({}, ['exp'])],
  ];
  const headerCases: Array<[string, string | undefined, boolean]> = [
    ['no header', undefined, false],
    ['empty header', '', false],
    ['Bearer without a token', 'Bearer', false],
    ['Bearer with blanks only', 'Bearer    ', false],
    ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZA==', false],
    ['another scheme with a valid token', `Token ${valid}`, false],
    ['two tokens', `Bearer ${valid} ${valid}`, false],
  ];
  return [
    ...cases.map(([name, token]) => ({ name, authorization: `Bearer ${token}`, presented: true })),
    ...headerCases.map(([name, authorization, presented]) => ({ name, authorization, presented })),
  ];
}

describe.each(PLATFORMS)('attacks and bad input are refused with 401 (%s)', (platform) => {
  let keys: PlatformKeysDir;
  let running: RunningApp;
  let cases: AttackCase[];

  beforeAll(async () => {
    keys = platformKeysDir();
    cases = corpus(keys);
    running = await startApp(platform, {
      imports: [MicrokubesModule.forRoot({ keysDir: keys.dir })],
      controllers: [HelloController],
    });
  });
  afterAll(async () => {
    await running?.close();
    keys?.remove();
  });

  it('accepts the valid token the corpus is built from (the control case)', async () => {
    const token = jwtIssuerToken(keys.default.privateKey, { userId: 'u1', username: 'mallory@example.com' });
    const { status } = await getJson(`${running.url}/hello`, { headers: { authorization: `Bearer ${token}` } });
    expect(status).toBe(200);
  });

  it('refuses every case with 401, the JSON error body and a challenge', async () => {
    const outcomes = [];
    for (const attack of cases) {
      const headers: Record<string, string> = attack.authorization === undefined ? {} : { authorization: attack.authorization };
      const { status, body, headers: responseHeaders } = await getJson(`${running.url}/hello`, { headers });
      outcomes.push({ name: attack.name, status, body, challenge: responseHeaders.get('www-authenticate') });
    }
    for (const [i, outcome] of outcomes.entries()) {
      const attack = cases[i]!;
      expect(outcome.status, attack.name).toBe(401);
      expect(outcome.body, attack.name).toEqual({ code: 401, message: expect.any(String) });
      expect(outcome.challenge, attack.name).toMatch(/^Bearer realm="microkubes"/);
      if (attack.presented) {
        expect(outcome.challenge, attack.name).toContain('error="invalid_token"');
        expect(outcome.body.message, attack.name).not.toBe('missing bearer token');
      } else {
        expect(outcome.challenge, attack.name).toBe('Bearer realm="microkubes"');
      }
    }
  });

  it('says why a token was refused', async () => {
    const reasons = new Map<string, string>();
    for (const attack of cases) {
      const { body } = await getJson(`${running.url}/hello`, { headers: attack.authorization ? { authorization: attack.authorization } : {} });
      reasons.set(attack.name, body.message);
    }
    expect(reasons.get('alg none')).toBe('unsigned tokens are not accepted');
    expect(reasons.get('HS256 signed with the public key PEM as secret')).toBe('algorithm HS256 is not accepted');
    expect(reasons.get('expired')).toBe('token expired');
    expect(reasons.get('nbf in the future')).toBe('token not yet valid (nbf)');
    expect(reasons.get('tampered payload')).toBe('invalid signature');
    expect(reasons.get('unknown signer')).toBe('invalid signature');
    expect(reasons.get('unknown kid')).toBe('unknown key id');
    expect(reasons.get('kid path traversal')).toBe('unknown key id');
    expect(reasons.get('kid naming a key file')).toBe('unknown key id');
    expect(reasons.get('one segment')).toBe('malformed token');
    expect(reasons.get('base64 padding')).toBe('malformed token');
    expect(reasons.get('the signature with spare bits set (another spelling of the same bytes)')).toBe('malformed token: base64url with bits set that no encoder sets');
    expect(reasons.get('crit naming an extension')).toBe('token header names critical extensions ("crit") that are not understood');
    expect(reasons.get('crit, an empty list')).toBe('token header names critical extensions ("crit") that are not understood');
    expect(reasons.get('payload a number')).toBe('token payload is not a JSON object');
    expect(reasons.get('missing userId')).toBe('claim "userId" is missing');
    expect(reasons.get('roles a number')).toBe('claim "roles" must be a string or a list of strings');
    expect(reasons.get('no exp at all')).toBe('token has no expiry (exp)');
    expect(reasons.get('no header')).toBe('missing bearer token');
  });

  it('logs why, at debug level, and never a token', async () => {
    const levels = ['log', 'error', 'warn', 'debug', 'verbose'] as const;
    const spies: Record<(typeof levels)[number], MockInstance<(...args: unknown[]) => void>> = {
      log: vi.spyOn(running.logger, 'log'),
      error: vi.spyOn(running.logger, 'error'),
      warn: vi.spyOn(running.logger, 'warn'),
      debug: vi.spyOn(running.logger, 'debug'),
      verbose: vi.spyOn(running.logger, 'verbose'),
    };
    const reasons: string[] = [];
    let calls: Array<{ level: (typeof levels)[number]; args: unknown[] }>;
    try {
      for (const attack of cases) {
        const headers: Record<string, string> = attack.authorization === undefined ? {} : { authorization: attack.authorization };
        const { status, body } = await getJson(`${running.url}/hello`, { headers });
        expect(status, attack.name).toBe(401);
        reasons.push(body.message);
      }
    } finally {
      // Every call at every level, with all its arguments (a context or an object could carry a token too).
      calls = levels.flatMap((level) => spies[level].mock.calls.map((args) => ({ level, args })));
      for (const spy of Object.values(spies)) spy.mockRestore();
    }
    // Never a token: neither whole nor any of its secret parts (payload, signature), nor other credentials.
    const secrets = cases.flatMap((attack) => {
      const credentials = (attack.authorization ?? '').split(/\s+/).slice(1).filter(Boolean);
      const parts = credentials.flatMap((credential): Array<[part: string, secret: string]> => [
        ['credential', credential],
        ['payload', credential.split('.')[1] ?? ''],
        ['signature', credential.split('.')[2] ?? ''],
      ]);
      // Shorter strings ('abc', '!!!') could turn up in any line, and tell nothing of a token.
      return parts.filter(([, secret]) => secret.length >= 16).map(([part, secret]) => ({ name: attack.name, part, secret }));
    });
    expect(secrets.filter(({ part }) => part === 'payload').length).toBeGreaterThan(cases.length / 2);
    expect(secrets.filter(({ part }) => part === 'signature').length).toBeGreaterThan(cases.length / 2);
    const text = (value: unknown) => (typeof value === 'string' ? value : value instanceof Error ? `${value.message}\n${value.stack}` : JSON.stringify(value) ?? String(value));
    const logged = [...running.logger.lines, ...calls.flatMap(({ args }) => args.map(text))];
    const leaks = secrets.flatMap(({ name, part, secret }) => {
      const line = logged.find((candidate) => candidate.includes(secret));
      return line === undefined ? [] : [`${name}: its ${part} is logged in "${line.slice(0, 60)}..."`];
    });
    expect(leaks).toEqual([]);

    // Why: one debug line a request, with the reason the caller was given; at no other level.
    const isRefusal = (message: unknown) => typeof message === 'string' && message.startsWith('Refused GET /hello');
    expect(calls.filter(({ level, args }) => level === 'debug' && isRefusal(args[0])).map(({ args }) => args[0])).toEqual(
      reasons.map((reason) => `Refused GET /hello: ${reason}`),
    );
    expect(calls.filter(({ level, args }) => level !== 'debug' && isRefusal(args[0]))).toEqual([]);
  });
});
