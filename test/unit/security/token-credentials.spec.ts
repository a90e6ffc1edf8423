import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../lib/config/resolved-options.js';
import { MAX_TOKEN_LENGTH, tokenCredentials, upgradeCredentials } from '../../../lib/security/token-credentials.js';
import { TokenRefusal } from '../../../lib/security/token-refusal.js';

const security = resolveOptions({ security: { jwt: {}, oauth2: { header: 'x-access-token', scheme: null } } }).security;

describe('tokenCredentials: a token given as a value', () => {
  it('puts it in each strategy header, with the scheme unless it carries one', () => {
    expect(tokenCredentials(security, 'abc.def.ghi', 'here')).toEqual({ headers: { authorization: 'Bearer abc.def.ghi', 'x-access-token': 'abc.def.ghi' }, from: 'here' });
    expect(tokenCredentials(security, 'bEaReR abc.def.ghi', 'here')).toMatchObject({ headers: { authorization: 'bEaReR abc.def.ghi' } });
  });

  it('takes an empty token as none', () => {
    expect(tokenCredentials(security, '  ', 'here')).toEqual({ headers: {}, from: 'here' });
  });

  it.each([
    ['a number', 42, 'malformed token: not a string'],
    ['an object', { $ne: null }, 'malformed token: not a string'],
    ['an array', ['a', 'b'], 'malformed token: not a string'],
    ['a newline', 'abc\r\nx-admin: 1', 'malformed token'],
    ['a NUL', 'abc\0', 'malformed token'],
    ['non-ASCII', 'abc\u00e9', 'malformed token'],
    ['one character too long', 'a'.repeat(MAX_TOKEN_LENGTH + 1), 'malformed token: too long'],
  ])('refuses %s', (_name, token, message) => {
    const result = tokenCredentials(security, token, 'here');
    expect(result).toBeInstanceOf(TokenRefusal);
    expect((result as TokenRefusal).message).toBe(message);
  });
});

describe('upgradeCredentials: the token headers of an upgrade request', () => {
  it('takes the token headers and nothing else (no cookie)', () => {
    const request = { headers: { authorization: 'Bearer t', cookie: 'mk_session=s', 'x-other': '1' }, rawHeaders: ['Authorization', 'Bearer t', 'Cookie', 'mk_session=s', 'X-Other', '1'] };
    expect(upgradeCredentials(security, request, 'ws')).toEqual({ headers: { authorization: 'Bearer t' }, from: 'ws' });
  });

  it('refuses a token header sent twice, in any spelling', () => {
    const request = { headers: { authorization: 'Bearer a' }, rawHeaders: ['Authorization', 'Bearer a', 'AUTHORIZATION', 'Bearer b'] };
    expect((upgradeCredentials(security, request, 'ws') as TokenRefusal).message).toBe('ambiguous credentials: 2 authorization headers');
  });
});
