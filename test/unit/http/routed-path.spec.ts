import { describe, expect, it } from 'vitest';
import { routedPath } from '../../../lib/http/routed-path.js';

const express = (path: string, params: Record<string, unknown>, url = '/') => ({ url, route: { path }, params });
const fastify = (path: string, params: Record<string, unknown>, url = '/') => ({ url, routeOptions: { url: path }, params });

describe('routedPath', () => {
  it.each([
    ['Express route with a parameter', { url: '/Todos/%37/', route: { path: '/todos/:id' }, params: { id: '7' } }, '/todos/7'],
    ['Fastify route with a parameter', { url: '/todos/%37', routeOptions: { url: '/todos/:id' }, params: { id: '7' } }, '/todos/7'],
    ['Express 5 wildcard (an array of segments)', express('/files/*path', { path: ['a', 'b'] }), '/files/a/b'],
    ['Fastify wildcard', fastify('/files/*', { '*': 'a/b' }, '/files/a/b'), '/files/a/b'],
    ['Fastify wildcard after a parameter', fastify('/t/:tenant/*', { tenant: 'acme', '*': 'x/y z' }, '/t/acme/x/y%20z?q'), '/t/acme/x/y z'],
    ['Fastify wildcard, empty', fastify('/files/*', { '*': '' }, '/files/'), '/files/'],
    ['Fastify wildcard after a part of a segment', fastify('/static/pre-*', { '*': 'a/b' }, '/static/pre-a/b'), '/static/pre-a/b'],
    ['Express 5 optional group, given', express('/items{/:id}', { id: '3' }), '/items/3'],
    ['Express 5 optional group, absent', express('/items{/:id}', {}), '/items'],
    ['Express 5 nested optional groups', express('/a{/:b{/:c}}', { b: '1' }), '/a/1'],
    ['Express 5 quoted parameter name', express('/u/:"user id"', { 'user id': 'x' }), '/u/x'],
    ['Express 5 escaped character', express('/a\\:b/:id', { id: '1' }), '/a:b/1'],
    ['Express 5 two parameters in a segment', express('/f/:file.:ext', { file: 'a.b', ext: 'c' }), '/f/a.b.c'],
    ['Fastify inline regex parameter', fastify('/rx/:id(^\\d+)', { id: '13' }), '/rx/13'],
    ['Fastify regex with parentheses of its own', fastify('/rx/:id(^(?:\\d|\\(x\\))+)/end', { id: '1' }), '/rx/1/end'],
    ['Fastify two regex parameters in a segment', fastify('/at/:h(^\\d{2})h:m(^\\d{2})m', { h: '12', m: '30' }), '/at/12h30m'],
    ['Fastify parameters joined by - and .', fastify('/near/:lat-:lng/:file.:ext', { lat: '1', lng: '2', file: 'a', ext: 'b' }), '/near/1-2/a.b'],
    ['Fastify escaped colon', fastify('/x::y/:id', { id: '3' }), '/x:y/3'],
    ['Fastify optional last parameter, given', fastify('/fo/:id?', { id: '3' }), '/fo/3'],
    ['Fastify optional last parameter, absent', fastify('/fo/:id?', {}), '/fo'],
    ['the root route', express('/', {}), '/'],
    ['Express 5 optional text, absent (told from the path)', express('/export{.csv}', {}, '/export'), '/export'],
    ['Express 5 optional text, given', express('/export{.csv}', {}, '/EXPORT.csv/'), '/export.csv'],
    ['Express 5 optional text after a parameter', express('/items{/:id}{/edit}', { id: '3' }, '/items/3/edit'), '/items/3/edit'],
    ['Express 5 optional text after a parameter, absent', express('/items{/:id}{/edit}', { id: '3' }, '/items/3'), '/items/3'],
    ['Express 5 optional text inside a group with a parameter', express('/r{/:id{.json}}', { id: '3' }, '/r/3.json'), '/r/3.json'],
    ['no matched route: the URL, decoded, without a trailing slash or query', { url: '/a/%62/?q=1' }, '/a/b'],
    ['no matched route, absolute form', { url: 'http://example.com/admin?x' }, '/admin'],
  ])('%s', (_case, request, expected) => {
    expect(routedPath(request)).toBe(expected);
  });

  describe('a parameter can never reshape the path: each value stays in its own segment', () => {
    it.each([
      ['an encoded slash (Express)', express('/:tenant/items', { tenant: 'public/x' }), '/public%2Fx/items'],
      ['an encoded slash (Fastify)', fastify('/:tenant/items', { tenant: 'public/x' }), '/public%2Fx/items'],
      ['slashes and dot segments', express('/files/:id/download', { id: 'public/../secret' }), '/files/public%2F..%2Fsecret/download'],
      ['a trailing slash', fastify('/files/:id/download', { id: 'secret/' }), '/files/secret%2F/download'],
      ['a backslash', express('/files/:id', { id: 'a\\b' }), '/files/a%5Cb'],
      ['a percent sign, so that the spelling stays one to one', express('/files/:id', { id: 'a%2Fb' }), '/files/a%252Fb'],
      ['a value that is a dot segment', express('/files/:id/x', { id: '..' }), '/files/%2E%2E/x'],
      ['a value that is one dot', fastify('/files/:id/x', { id: '.' }), '/files/%2E/x'],
      ['a parameter at the start', fastify('/:a', { a: '../admin' }), '/..%2Fadmin'],
      ['a segment of an Express wildcard', express('/static/*rest', { rest: ['a/public', 'b'] }), '/static/a%2Fpublic/b'],
      ['a segment of a Fastify wildcard that is a dot segment', fastify('/static/*', { '*': 'x/../y' }, '/static/x/%2E%2E/y'), '/static/x/%2E%2E/y'],
      ['a Fastify wildcard arrives decoded: judged as the handler receives it', fastify('/static/*', { '*': 'a/public/b' }, '/static/a%2Fpublic/b'), '/static/a/public/b'],
      ['an optional parameter', express('/o{/:id}', { id: 'a/b' }), '/o/a%2Fb'],
      ['the regex parameter of Fastify', fastify('/rx/:id(^\\d+)', { id: '1/2' }), '/rx/1%2F2'],
    ])('%s', (_case, request, expected) => {
      expect(routedPath(request)).toBe(expected);
    });
  });

  it.each([
    ['a required parameter that is absent', express('/files/:id', {})],
    ['a parameter that is not a string', express('/files/:id', { id: 5 })],
    ['a wildcard that is not a list of strings', express('/files/*rest', { rest: [1] })],
    ['no route, a target that is not a path', { url: '*' }],
    ['an Express optional text the path does not spell', express('/export{.csv}', {}, '/other')],
    ['no route, malformed percent-encoding', { url: '/a/%zz' }],
  ])('cannot be told for %s (callers fail closed)', (_case, request) => {
    expect(routedPath(request)).toBeUndefined();
  });
});
