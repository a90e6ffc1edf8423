import { describe, expect, it } from 'vitest';
import { localPath } from '../../../lib/saml/relay-state.js';

describe('localPath (RelayState after login)', () => {
  it.each(['/', '/page', '/page?tab=2&x=%2F', '/a/b#top', '/saml/hello'])('keeps the local path %j', (path) => {
    expect(localPath(path)).toBe(path);
  });

  it.each([
    'http://evil.test/', 'https://evil.test', '//evil.test', '///evil.test', '/\\evil.test', '\\\\evil.test', 'https:evil.test',
    '/.//evil.test', '/..//evil.test', '/%2e//evil.test', '/%2e%2e//evil.test', '/a/..//evil.test/x?y#z', '/./\\evil.test',
    'javascript:alert(1)', 'data:text/html,x', ' /page', '/page\r\nSet-Cookie: x=1', '/pa\tge', 'page', '', `/${'a'.repeat(2048)}`,
    undefined, null, 42, ['/page'],
  ])('sends %j to /', (value) => {
    expect(localPath(value)).toBe('/');
  });

  it('normalises dot segments without leaving the site', () => {
    expect(localPath('/a/../../b')).toBe('/b');
    expect(localPath('/%2F%2Fevil.test')).toBe('/%2F%2Fevil.test');
  });
});
