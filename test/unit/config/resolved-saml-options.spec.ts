import { describe, expect, it } from 'vitest';
import { resolveSamlOptions } from '../../../lib/config/resolved-saml-options.js';

const required = { entityId: 'sp', acsUrl: 'https://sp.test/saml/acs', idpEntityId: 'idp', idpSsoUrl: 'http://idp.test/sso' };

describe('resolveSamlOptions', () => {
  it('is off without options', () => {
    expect(resolveSamlOptions(undefined)).toBeUndefined();
  });

  it('fills in secure defaults', () => {
    expect(resolveSamlOptions(required)).toEqual({
      ...required,
      idpCert: undefined,
      registrationUrl: undefined,
      registrationRequired: false,
      registrationRetry: { attempts: 15, deadline: 60_000, initialDelay: 250, maxDelay: 5_000, requestTimeout: 5_000 },
      privateKeyName: 'service.key',
      certName: 'service.cert',
      routePrefix: '/saml',
      clockSkewMs: 30_000,
      requireSignedResponse: true,
      requestIdStore: 'memory',
      requestIdTtlMs: 600_000,
      // The first 8 hex digits of sha256('sp'): one name per service behind a shared host.
      session: { cookieName: 'microkubes_saml_be18b85f', maxAge: 3600, secrets: undefined, secure: undefined },
      redirectBrowsers: true,
      bindLoginToBrowser: true,
      loginCookieName: 'microkubes_saml_be18b85f_login',
    });
  });

  it.each([
    [{ ...required, idpSsoUrl: undefined }, '"security.saml.idpSsoUrl": is required'],
    [{ ...required, idpSsoUrl: 'ftp://idp.test' }, '"security.saml.idpSsoUrl": must be an absolute http(s) URL (got "ftp://idp.test")'],
    [{ ...required, clockSkew: -1 }, '"security.saml.clockSkew": must be a whole number from 0 to 3600 (got -1)'],
    [{ ...required, session: { cookieName: 'a b' } }, '"security.saml.session.cookieName": "a b" is not a cookie name'],
    [{ ...required, session: { secret: ['x'.repeat(32), 'short'] } }, '"security.saml.session.secret[1]": must be a string of at least 32 bytes'],
    [{ ...required, requestIdStore: { redis: {} } }, '"security.saml.requestIdStore.redis": must be a connected client of the redis or ioredis package'],
    [{ ...required, requestIdStore: { get: () => null } }, '"security.saml.requestIdStore": a store of your own needs save(), get() and take()'],
    [{ ...required, requestIdStore: { redis: { sendCommand: async () => 'OK' }, prefx: 'x:' } }, '"security.saml.requestIdStore.prefx": is not an option; did you mean "prefix"?'],
    [{ ...required, registration: { retry: { initialDelay: 10, maxDelay: 5 } } }, '"security.saml.registration.retry.maxDelay": must not be less than security.saml.registration.retry.initialDelay'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveSamlOptions(options as never)).toThrow(message);
  });
});
