import { bench, describe } from 'vitest';
import { AclPolicySet, Auth, LinearRegExp } from '../lib/index.js';
import { judgeRequestTarget, type FirewallRules } from '../lib/http/request-firewall.js';

/**
 * What one security decision on a path costs: the patterns as today's engine (V8's RegExp, which
 * the module used for every pattern before) and as LinearRegExp runs them, side by side; the
 * review's adversarial patterns against paths up to the cap (2,048) and up to what Node's HTTP
 * parser takes (16 KB); and the request firewall's look at a path. `vitest bench` prints mean,
 * max and p99 per decision: the goal is no decision over 1 ms.
 */
const auth = new Auth({ userId: 'u1', username: 'ann@example.com', roles: ['user'], organizations: [], namespaces: [], scopes: [], strategy: 'jwt', claims: {} });
const anchored = (source: string) => new RegExp(`^(?:${source})$`);

describe('everyday patterns: today\'s engine (V8 RegExp) beside LinearRegExp', () => {
  const cases: Array<[string, string]> = [['/public/.*', '/public/about'], ['(?:.+)', 'ann@example.com'], ['/todos/(?:[0-9]+)', '/todos/42'], ['.*/public.*', '/todos/42']];
  for (const [source, value] of cases) {
    const v8 = anchored(source);
    const linear = new LinearRegExp(source);
    bench(`V8 RegExp       ${source} on ${value}`, () => { v8.test(value); });
    bench(`LinearRegExp    ${source} on ${value} (${linear.engine})`, () => { linear.test(value); });
  }
});

const RULES: FirewallRules = {
  allowEncodedSlash: false, allowBackslash: false, allowEncodedPeriod: false, allowEncodedPercent: false,
  allowDotSegments: false, allowEmptySegments: false, allowSemicolon: false, allowControlCharacters: false,
};

describe('the request firewall, per request', () => {
  bench('an everyday path: /todos/42?page=2', () => { judgeRequestTarget('/todos/42?page=2', RULES, 2048); });
  bench('a path with encodings it lets through: /files/caf%C3%A9%20x', () => { judgeRequestTarget('/files/caf%C3%A9%20x', RULES, 2048); });
  bench('a refused path: /files/a%2F..%2Fb', () => { judgeRequestTarget('/files/a%2F..%2Fb', RULES, 2048); });
  const long = `/files/${'abcdefg%20/'.repeat(185)}`;
  bench(`a path of ${long.length} characters with encodings`, () => { judgeRequestTarget(long, RULES, 2048); });
});

const wildRoute = '/wild/.*/.*/.*\\.js';
const wildPolicy = AclPolicySet.compile([{ id: 'wild', effect: 'allow', subjects: ['<.+>'], resources: ['/wild/<.*>/<.*>/<.*>/meta'], actions: ['api:read'] }], 16_384);
const adversarial = (length: number) => `/wild/${'a/'.repeat(Math.floor((length - 7) / 2))}x`;

describe('adversarial patterns on LinearRegExp (RE2), up to the cap and beyond', () => {
  const route = new LinearRegExp(wildRoute);
  for (const length of [256, 2048, 16_384]) {
    const path = adversarial(length);
    bench(`public route ${wildRoute}, ${path.length} characters`, () => { route.test(path); });
    bench(`policy /wild/<.*>/<.*>/<.*>/meta, ${path.length} characters`, () => { wildPolicy.decide({ auth, resource: path, action: 'api:read' }); });
  }
});

describe('the same patterns on a backtracking engine (V8 RegExp, as before), at lengths it survives', () => {
  const route = anchored(wildRoute);
  for (const length of [64, 128, 256]) {
    const path = adversarial(length);
    bench(`public route ${wildRoute}, ${path.length} characters`, () => { route.test(path); }, { iterations: 5, time: 0 });
  }
});
