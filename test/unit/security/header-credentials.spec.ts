import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../lib/config/resolved-options.js';
import { headerCredentials } from '../../../lib/security/header-credentials.js';
import { MAX_TOKEN_LENGTH } from '../../../lib/security/token-credentials.js';
import { TokenRefusal } from '../../../lib/security/token-refusal.js';

const security = resolveOptions({ security: { jwt: {}, oauth2: { header: 'x-access-token', scheme: null } } }).security;

describe("headerCredentials: a message's headers", () => {
  it('takes the token headers, in any case, and nothing else (no cookie)', () => {
    const pairs = [['Authorization', 'Bearer t'], ['cookie', 'mk_session=s'], ['X-Access-Token', 'o'], ['x-other', '1']] as const;
    expect(headerCredentials(security, pairs, 'message whoami')).toEqual({ headers: { authorization: 'Bearer t', 'x-access-token': 'o' }, from: 'message whoami' });
  });

  it('reads a Buffer value (AMQP, Kafka) as UTF-8, and one value in an array (gRPC metadata, NATS)', () => {
    expect(headerCredentials(security, [['authorization', Buffer.from('Bearer t')]], 'm')).toMatchObject({ headers: { authorization: 'Bearer t' } });
    expect(headerCredentials(security, [['authorization', ['Bearer t']]], 'm')).toMatchObject({ headers: { authorization: 'Bearer t' } });
  });

  it('takes no headers as no credentials', () => {
    expect(headerCredentials(security, [], 'm')).toEqual({ headers: {}, from: 'm' });
  });

  it.each([
    ['the same header in two spellings', [['authorization', 'Bearer a'], ['Authorization', 'Bearer b']], 'ambiguous credentials: 2 authorization headers'],
    ['two values of one header', [['authorization', ['Bearer a', 'Bearer a']]], 'ambiguous credentials: 2 authorization headers'],
    ['300,000 values of one header (no stack overflow)', [['authorization', Array.from({ length: 300_000 }, () => 'Bearer a')]], 'ambiguous credentials: 300000 authorization headers'],
    ['a number', [['authorization', 42]], 'malformed token: not a string'],
    ['an object', [['authorization', { $ne: null }]], 'malformed token: not a string'],
    ['an empty array', [['authorization', []]], 'malformed token: not a string'],
    ['a newline', [['authorization', 'Bearer a\r\nx-admin: 1']], 'malformed token'],
    ['invalid UTF-8 in a Buffer', [['authorization', Buffer.from([0x42, 0xff, 0xfe])]], 'malformed token'],
    ['a value one character too long', [['authorization', 'a'.repeat(MAX_TOKEN_LENGTH + 1)]], 'malformed token: too long'],
  ] as Array<[string, Array<[string, unknown]>, string]>)('refuses %s', (_name, pairs, message) => {
    const result = headerCredentials(security, pairs, 'm');
    expect(result).toBeInstanceOf(TokenRefusal);
    expect((result as TokenRefusal).message).toBe(message);
  });
});
