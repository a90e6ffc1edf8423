import { describe, expect, it } from 'vitest';
import { routedPath } from '../../../lib/acl/routed-path.js';

describe('routedPath', () => {
  it.each([
    ['Express route with a parameter', { url: '/Todos/%37/', route: { path: '/todos/:id' }, params: { id: '7' } }, '/todos/7'],
    ['Fastify route with a parameter', { url: '/todos/%37', routeOptions: { url: '/todos/:id' }, params: { id: '7' } }, '/todos/7'],
    ['Express 5 wildcard (an array of segments)', { url: '/files/a/b', route: { path: '/files/*path' }, params: { path: ['a', 'b'] } }, '/files/a/b'],
    ['Fastify wildcard', { url: '/files/a/b', routeOptions: { url: '/files/*' }, params: { '*': 'a/b' } }, '/files/a/b'],
    ['Express 5 optional group, given', { url: '/items/3', route: { path: '/items{/:id}' }, params: { id: '3' } }, '/items/3'],
    ['Express 5 optional group, absent', { url: '/items', route: { path: '/items{/:id}' }, params: {} }, '/items'],
    ['the root route', { url: '/', route: { path: '/' }, params: {} }, '/'],
    ['no matched route: the URL, decoded, without a trailing slash or query', { url: '/a/%62/?q=1' }, '/a/b'],
    ['no matched route, absolute form', { url: 'http://example.com/admin#x' }, '/admin'],
  ])('%s', (_case, request, expected) => {
    expect(routedPath(request)).toBe(expected);
  });
});
