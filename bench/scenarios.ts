/** What one benchmark run measures: the app, the route and the tokens it is called with. */
export interface Scenario {
  name: string;
  /** What the server app looks like (see http-server.ts). */
  app: 'unsecured' | 'plain-guard' | 'jsonwebtoken-guard' | 'microkubes' | 'microkubes-no-cache' | 'microkubes-no-firewall' | 'microkubes-revocation' | 'microkubes-telemetry' | 'microkubes-telemetry-false' | 'baseline' | 'acl' | 'saml' | 'express-session' | 'health' | 'health-no-cache' | 'terminus-ping';
  path: string;
  /**
   * `none`; one token repeated; every token new (the run's distinct tokens, none sent twice to one
   * app); 1,000 callers whose tokens come back (a working set the cache holds); a session cookie;
   * forged tokens (the right shape, signed by a key the app does not know); or garbage.
   */
  tokens: 'none' | 'one' | 'distinct' | 'callers' | 'session' | 'forged' | 'garbage';
  /** Express only (SAML needs Express). */
  expressOnly?: boolean;
  /** A flood that must be refused: every answer is expected to be a 401, and counted as a refusal. */
  refused?: boolean;
}

export const SCENARIOS: Scenario[] = [
  { name: 'unsecured route', app: 'unsecured', path: '/hello', tokens: 'none' },
  { name: 'guard, one token repeated', app: 'microkubes', path: '/hello', tokens: 'one' },
  { name: 'guard, one token repeated, firewall off', app: 'microkubes-no-firewall', path: '/hello', tokens: 'one' },
  { name: '@Public() route of the module\'s app', app: 'microkubes', path: '/open', tokens: 'none' },
  { name: '@Public() route, firewall off', app: 'microkubes-no-firewall', path: '/open', tokens: 'none' },
  { name: 'guard, every token new (cache on)', app: 'microkubes', path: '/hello', tokens: 'distinct' },
  { name: 'guard, one token repeated, revocation on', app: 'microkubes-revocation', path: '/hello', tokens: 'one' },
  { name: 'guard, every token new, revocation on', app: 'microkubes-revocation', path: '/hello', tokens: 'distinct' },
  { name: 'guard, one token repeated, telemetry SDK on', app: 'microkubes-telemetry', path: '/hello', tokens: 'one' },
  { name: 'guard, every token new, telemetry SDK on', app: 'microkubes-telemetry', path: '/hello', tokens: 'distinct' },
  { name: 'guard, garbage tokens refused, telemetry SDK on', app: 'microkubes-telemetry', path: '/hello', tokens: 'garbage', refused: true },
  { name: 'guard, one token repeated, telemetry: false', app: 'microkubes-telemetry-false', path: '/hello', tokens: 'one' },
  { name: 'guard, every token new (cache off)', app: 'microkubes-no-cache', path: '/hello', tokens: 'distinct' },
  { name: 'guard, 1,000 callers coming back (cache on)', app: 'microkubes', path: '/hello', tokens: 'callers' },
  { name: 'guard, 1,000 callers coming back (cache off)', app: 'microkubes-no-cache', path: '/hello', tokens: 'callers' },
  { name: 'guard, forged tokens refused', app: 'microkubes', path: '/hello', tokens: 'forged', refused: true },
  { name: 'guard, garbage tokens refused', app: 'microkubes', path: '/hello', tokens: 'garbage', refused: true },
  { name: 'guard, Auth injected (REQUEST scope)', app: 'microkubes', path: '/scoped', tokens: 'one' },
  { name: 'guard + ACL of 1,000 policies', app: 'acl', path: '/hello', tokens: 'one' },
  { name: 'guard, SAML session cookie', app: 'saml', path: '/hello', tokens: 'session', expressOnly: true },
  { name: 'alternative: express-session + passport', app: 'express-session', path: '/hello', tokens: 'session', expressOnly: true },
  { name: 'health check, Kong answer shared (1 s)', app: 'health', path: '/healthcheck', tokens: 'none' },
  { name: 'health check, Kong asked per check (ttl 0)', app: 'health-no-cache', path: '/healthcheck', tokens: 'none' },
  { name: 'alternative: terminus pingCheck per health', app: 'terminus-ping', path: '/healthcheck', tokens: 'none' },
  { name: 'plain guard: one crypto.verify, parsed key', app: 'plain-guard', path: '/hello', tokens: 'distinct' },
  { name: 'plain guard, forged tokens refused', app: 'plain-guard', path: '/hello', tokens: 'forged', refused: true },
  { name: 'plain guard, garbage tokens refused', app: 'plain-guard', path: '/hello', tokens: 'garbage', refused: true },
  { name: 'by hand: jsonwebtoken, parsed KeyObject', app: 'jsonwebtoken-guard', path: '/hello', tokens: 'distinct' },
  { name: 'docs passport-jwt, PEM key, every token new', app: 'baseline', path: '/hello', tokens: 'distinct' },
  { name: 'baseline: docs AuthGuard(jwt), PEM key', app: 'baseline', path: '/hello', tokens: 'one' },
];

export type Adapter = 'express' | 'fastify';
export const ADAPTERS: Adapter[] = ['express', 'fastify'];
