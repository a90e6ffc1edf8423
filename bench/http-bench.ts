import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { defaultSessionCookieName } from '../lib/config/resolved-saml-options.js';
import type { RedisClient } from '../lib/microkubes-options.interface.js';
import { RedisRevocationStore, type Revocation } from '../lib/revocation/redis-revocation-store.js';
import { SamlSessionCodec } from '../lib/saml/saml-session.js';
import { samlKeyPair } from '../lib/testing/index.js';
import { benchRedis } from './bench-redis.js';
import { barChartSvg } from './chart.js';
import { ADAPTERS, SCENARIOS, type Adapter, type Scenario } from './scenarios.js';

/**
 * `npm run bench`, HTTP part: every scenario on Express and on Fastify, each app in a process of
 * its own and autocannon in this one, side by side in one run. Prints req/s, p50/p99 latency and
 * ratios to the unsecured route and to the docs' baseline; writes bench/results/http.{json,svg}.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Rounds over all scenarios, interleaved, so that a slow moment of the machine hits every scenario alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 32;
/**
 * `BENCH_ONLY=session,PEM`: only the scenarios whose names contain one of these words, plus the
 * unsecured route and the baseline, which the ratios need (for more rounds of a few scenarios).
 */
const ONLY = process.env.BENCH_ONLY?.split(',').map((word) => word.trim()).filter(Boolean);
/**
 * Tokens minted for the run, as many as no app can ask for in its warm-up and run on this machine
 * (about 15,000 req/s at most): none is sent twice to one app. Fewer (`BENCH_TOKENS`) mint faster;
 * a scenario that then ran past them says so.
 */
const DISTINCT_TOKENS = Number(process.env.BENCH_TOKENS ?? 120_000);
/** What the revocation apps' mirrors hold. */
const REVOKED_TOKENS = 100_000;
const REVOKED_SUBJECTS = 1_000;
/** The callers of the "coming back" scenarios: a working set that the cache (10,000) holds. */
const CALLERS = 1_000;
/** Each of ours beside the alternative a user would otherwise write (or its own other setting): their ratio is printed. */
const SIDE_BY_SIDE: Array<[ours: string, alternative: string]> = [
  ['guard, one token repeated', 'unsecured route'],
  ['guard, one token repeated', 'guard, one token repeated, firewall off'],
  ['guard, one token repeated, revocation on', 'guard, one token repeated'],
  ['guard, every token new, revocation on', 'guard, every token new (cache on)'],
  ['guard, one token repeated, telemetry SDK on', 'guard, one token repeated'],
  ['guard, every token new, telemetry SDK on', 'guard, every token new (cache on)'],
  ['guard, garbage tokens refused, telemetry SDK on', 'guard, garbage tokens refused'],
  ['guard, one token repeated', 'guard, one token repeated, telemetry: false'],
  ["@Public() route of the module's app", '@Public() route, firewall off'],
  ['guard, SAML session cookie', 'alternative: express-session + passport'],
  ['health check, Kong answer shared (1 s)', 'alternative: terminus pingCheck per health'],
  ['health check, Kong asked per check (ttl 0)', 'alternative: terminus pingCheck per health'],
  ['guard, every token new (cache on)', 'plain guard: one crypto.verify, parsed key'],
  ['guard, every token new (cache off)', 'plain guard: one crypto.verify, parsed key'],
  ['guard, every token new (cache on)', 'guard, every token new (cache off)'],
  ['guard, every token new (cache on)', 'by hand: jsonwebtoken, parsed KeyObject'],
  ['by hand: jsonwebtoken, parsed KeyObject', 'plain guard: one crypto.verify, parsed key'],
  ['docs passport-jwt, PEM key, every token new', 'plain guard: one crypto.verify, parsed key'],
  ['guard, 1,000 callers coming back (cache on)', 'guard, 1,000 callers coming back (cache off)'],
  ['guard, forged tokens refused', 'plain guard, forged tokens refused'],
  ['guard, garbage tokens refused', 'plain guard, garbage tokens refused'],
];
/** With BENCH_ONLY, a chosen scenario brings the one it is compared with. */
const chosen = (name: string) => ONLY!.some((word) => name.includes(word));
const RUN = SCENARIOS.filter(
  (scenario, i) =>
    !ONLY || i === 0 || i === SCENARIOS.length - 1 || chosen(scenario.name) ||
    SIDE_BY_SIDE.some(([ours, alternative]) => (ours === scenario.name && chosen(alternative)) || (alternative === scenario.name && chosen(ours))),
);
const RESULTS = fileURLToPath(new URL('../../results/', import.meta.url));
const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
/** The SAML app's session secret: the bench seals the cookie it sends with it. */
const SAML_SECRET = randomUUID().repeat(2);

interface Measurement {
  adapter: Adapter;
  scenario: string;
  requestsPerSecond: number;
  /** The server process's CPU time (user + system) per answered request: steadier than req/s on a busy machine. */
  cpuMicrosPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  rssMb: number;
  /** Requests sent to the app (warm-up included) past the distinct tokens there were: then some came again. */
  tokensReused: number;
}

/**
 * Keys as the platform mounts them: three public keys, so that kid-less tokens pick among them;
 * `samlDir` adds the shared service.key/service.cert (the testing kit's) for the SAML app.
 */
function platformKeys(): { dir: string; samlDir: string; signer: KeyObject } {
  const dir = mkdtempSync(join(tmpdir(), 'mk-bench-'));
  const samlDir = mkdtempSync(join(tmpdir(), 'mk-bench-saml-'));
  let signer: KeyObject | undefined;
  for (const name of ['default', 'system', 'public']) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const target of [dir, samlDir]) writeFileSync(join(target, `${name}.pub`), publicKey.export({ type: 'spki', format: 'pem' }));
    if (name === 'default') signer = privateKey;
  }
  const saml = samlKeyPair();
  writeFileSync(join(samlDir, 'service.key'), saml.privatePem);
  writeFileSync(join(samlDir, 'service.cert'), saml.certificatePem);
  return { dir, samlDir, signer: signer! };
}

/** The session cookie a scenario sends: sealed as the ACS seals it, or made by express-session's own login. */
async function sessionCookie(scenario: Scenario, url: string): Promise<string> {
  if (scenario.app === 'saml') {
    const now = Math.floor(Date.now() / 1000);
    const entityId = `${url}/saml/metadata`;
    const sealed = SamlSessionCodec.fromSecrets([Buffer.from(SAML_SECRET)], entityId)
      .seal({ userId: 'user-1', username: 'user1@example.com', roles: ['user'], iss: 'http://idp.bench/saml/idp/metadata', iat: now, exp: now + 3600 });
    return `${defaultSessionCookieName(entityId)}=${sealed}`;
  }
  const response = await fetch(`${url}/login`);
  return response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
}

/** A sign-in token as jwt-issuer mints it (RS512, 24 h); `signer` a key the app does not know makes it a forged one. */
function token(signer: KeyObject, i: number): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({
    iss: 'Microkubes JWT Authority', sub: `user-${i}`, exp: now + 86_400, iat: now, nbf: 0, jti: randomUUID(),
    userId: `user-${i}`, username: `user${i}@example.com`, roles: 'user', organizations: 'acme', scopes: 'api:read',
  }, signer, { algorithm: 'RS512' });
}

/** What an attacker sends who has no token: random bytes in one, two or three segments, and JWT-looking headers over nonsense. */
function garbage(i: number): string {
  const bytes = (n: number) => randomBytes(n).toString('base64url');
  switch (i % 4) {
    case 0: return bytes(300);
    case 1: return `${bytes(30)}.${bytes(200)}.${bytes(256)}`;
    case 2: return `${Buffer.from('{"alg":"RS512","typ":"JWT"}').toString('base64url')}.${bytes(200)}.${bytes(256)}`;
    default: return `${bytes(20)}.${bytes(20)}`;
  }
}

/**
 * A Redis holding revocations as a service in use has them (100,000 tokens and 1,000 subjects,
 * none of the bench's callers), so that the revocation apps ask a full mirror, not an empty one.
 */
async function seededRevocations(): Promise<{ env: Record<string, string>; stop(): void }> {
  const redis = await benchRedis();
  const prefix = `bench:revocation:${randomUUID()}:`;
  const client = createClient({ url: redis.url });
  await client.connect();
  const store = new RedisRevocationStore(client as unknown as RedisClient, prefix);
  const now = Math.floor(Date.now() / 1000);
  const seeded: Revocation[] = [
    ...Array.from({ length: REVOKED_TOKENS }, (_, i): Revocation => ({ kind: 'token', id: randomUUID(), until: now + 3_600 + (i % 86_400) })),
    ...Array.from({ length: REVOKED_SUBJECTS }, (_, i): Revocation => ({ kind: 'subject', id: `revoked-user-${i}`, before: now, until: now + 86_400 })),
  ];
  console.log(`Seeding ${REVOKED_TOKENS.toLocaleString('en-US')} revoked tokens and ${REVOKED_SUBJECTS.toLocaleString('en-US')} subjects...`);
  for (let i = 0; i < seeded.length; i += 1_000) await Promise.all(seeded.slice(i, i + 1_000).map((revocation) => store.record(revocation, now)));
  client.destroy();
  return { env: { BENCH_REDIS_URL: redis.url, BENCH_REVOCATION_PREFIX: prefix }, stop: () => redis.stop() };
}

/** The tokens each kind of scenario sends, in the order sent. */
interface TokenSets {
  distinct: string[];
  callers: string[];
  forged: string[];
  garbage: string[];
}

async function startServer(adapter: Adapter, scenario: Scenario, port: number, keysDir: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER, adapter, scenario.app, String(port), keysDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, BENCH_SAML_SECRET: SAML_SECRET },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${scenario.app} server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

/** A port nothing listens on now (the run takes about a hundred; a fixed range meets epmd's 4369 and the like). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** CPU seconds (user + system) the process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** The tokens one app is sent, in turn, across its warm-up and its run: none twice before all were sent. */
class TokenFeed {
  sent = 0;
  constructor(private readonly tokens: readonly string[]) {}
  next(): string {
    return this.tokens[this.sent++ % this.tokens.length]!;
  }
  /** How many requests went past the distinct tokens, so that tokens came again. */
  get reused(): number {
    return Math.max(0, this.sent - this.tokens.length);
  }
}

async function load(url: string, scenario: Scenario, feed: TokenFeed | undefined, seconds: number, cookie = ''): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{
      method: 'GET',
      path: scenario.path,
      setupRequest: (request) => {
        if (scenario.tokens === 'none') return request;
        if (scenario.tokens === 'session') return { ...request, headers: { ...request.headers, cookie } };
        return { ...request, headers: { ...request.headers, authorization: `Bearer ${feed!.next()}` } };
      },
    }],
  });
}

/** A measurement is void when a served scenario had refusals or errors, or a flood had anything but 401s. */
function voidReason(scenario: Scenario, result: autocannon.Result): string | undefined {
  if (result.errors > 0) return `${result.errors} errors`;
  if (!scenario.refused) return result.non2xx > 0 ? `${result.non2xx} non-2xx answers` : undefined;
  const statuses = Object.entries(result.statusCodeStats ?? {}).filter(([status, stat]) => status !== '401' && (stat?.count ?? 0) > 0);
  return statuses.length > 0 ? `answers other than 401: ${statuses.map(([status, stat]) => `${stat?.count} x ${status}`).join(', ')}` : undefined;
}

async function main(): Promise<void> {
  const keys = platformKeys();
  console.log(`Minting ${DISTINCT_TOKENS.toLocaleString('en-US')} tokens...`);
  const distinct = Array.from({ length: DISTINCT_TOKENS }, (_, i) => token(keys.signer, i));
  // Signed by a key of the same kind and size that the apps do not have: they pass every check but the signature.
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const tokens: TokenSets = {
    distinct,
    callers: distinct.slice(0, CALLERS),
    forged: Array.from({ length: 10_000 }, (_, i) => token(stranger, i)),
    garbage: Array.from({ length: 10_000 }, (_, i) => garbage(i)),
  };
  const measurements: Measurement[] = [];
  const revocations = RUN.some((scenario) => scenario.app === 'microkubes-revocation') ? await seededRevocations() : undefined;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
     for (const adapter of ADAPTERS) {
      for (const scenario of RUN) {
        if (scenario.expressOnly && adapter !== 'express') continue;
        const port = await freePort();
        const server = await startServer(adapter, scenario, port, scenario.app === 'saml' ? keys.samlDir : keys.dir, revocations?.env);
        const url = `http://127.0.0.1:${port}`;
        const cookie = scenario.tokens === 'session' ? await sessionCookie(scenario, url) : '';
        const feed = scenario.tokens === 'one' ? new TokenFeed([distinct[0]!]) : scenario.tokens in tokens ? new TokenFeed(tokens[scenario.tokens as keyof TokenSets]) : undefined;
        await load(url, scenario, feed, 1, cookie); // warm-up: JIT, connections, caches
        const cpuBefore = cpuSeconds(server.pid!);
        const result = await load(url, scenario, feed, SECONDS, cookie);
        const cpuUsed = cpuSeconds(server.pid!) - cpuBefore;
        // A refused request costs less than a served one: such a figure would flatter the scenario.
        const invalid = voidReason(scenario, result);
        if (invalid) {
          server.kill();
          throw new Error(`${adapter} "${scenario.name}": ${invalid}; the measurement is void`);
        }
        measurements.push({
          adapter,
          scenario: scenario.name,
          requestsPerSecond: result.requests.average,
          cpuMicrosPerRequest: (cpuUsed * 1e6) / Math.max(1, result.requests.total),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          rssMb: residentMb(server.pid!),
          tokensReused: scenario.tokens === 'distinct' ? feed!.reused : 0,
        });
        server.kill();
        process.stdout.write(`  round ${round} ${adapter.padEnd(8)} ${scenario.name}: ${Math.round(result.requests.average)} req/s\n`);
      }
     }
    }
  } finally {
    revocations?.stop();
    rmSync(keys.dir, { recursive: true, force: true });
    rmSync(keys.samlDir, { recursive: true, force: true });
  }
  report(averageRounds(measurements));
}

/** One measurement per adapter and scenario: the mean of its rounds (p99: the worst). */
function averageRounds(measurements: Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) groups.set(`${m.adapter}\0${m.scenario}`, [...(groups.get(`${m.adapter}\0${m.scenario}`) ?? []), m]);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return [...groups.values()].map((group) => ({
    adapter: group[0]!.adapter,
    scenario: group[0]!.scenario,
    requestsPerSecond: mean(group.map((m) => m.requestsPerSecond)),
    cpuMicrosPerRequest: mean(group.map((m) => m.cpuMicrosPerRequest)),
    p50Ms: mean(group.map((m) => m.p50Ms)),
    p99Ms: Math.max(...group.map((m) => m.p99Ms)),
    non2xx: group.reduce((sum, m) => sum + m.non2xx, 0),
    errors: group.reduce((sum, m) => sum + m.errors, 0),
    rssMb: Math.max(...group.map((m) => m.rssMb)),
    tokensReused: Math.max(...group.map((m) => m.tokensReused)),
  }));
}

function report(measurements: Measurement[]): void {
  const find = (adapter: Adapter, name: string) => measurements.find((m) => m.adapter === adapter && m.scenario === name);
  const rows = measurements.map((m) => {
    const unsecured = find(m.adapter, SCENARIOS[0]!.name)!.requestsPerSecond;
    const baseline = find(m.adapter, SCENARIOS.at(-1)!.name)!.requestsPerSecond;
    return { ...m, vsUnsecured: m.requestsPerSecond / unsecured, vsBaseline: m.requestsPerSecond / baseline };
  });
  console.log(`\nHTTP, ${ROUNDS} rounds of ${SECONDS} s per scenario (mean req/s and p50, worst p99, max RSS), ${CONNECTIONS} connections, on ${process.version}:`);
  console.log('(floods: req/s are refusals per second, each a 401)\n');
  console.log(`${'adapter'.padEnd(8)} ${'scenario'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'x unsec'.padStart(8)} ${'x base'.padStart(7)} ${'RSS MB'.padStart(7)} ${'non-2xx'.padStart(8)} ${'CPU µs/req'.padStart(10)}`);
  for (const row of rows) {
    console.log(
      `${row.adapter.padEnd(8)} ${row.scenario.padEnd(44)} ${Math.round(row.requestsPerSecond).toString().padStart(8)} ${row.p50Ms.toFixed(1).padStart(7)} ${row.p99Ms.toFixed(1).padStart(7)} ${row.vsUnsecured.toFixed(2).padStart(8)} ${row.vsBaseline.toFixed(2).padStart(7)} ${row.rssMb.toFixed(0).padStart(7)} ${String(row.non2xx + row.errors).padStart(8)} ${row.cpuMicrosPerRequest.toFixed(0).padStart(10)}`,
    );
  }
  for (const row of rows.filter((row) => row.tokensReused > 0)) {
    console.log(`${row.adapter} "${row.scenario}": ${row.tokensReused.toLocaleString('en-US')} requests went past the ${DISTINCT_TOKENS.toLocaleString('en-US')} tokens (each came again after all the others: more than the cache holds)`);
  }
  console.log('');
  const figure = (m: Measurement) => `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms, ${m.cpuMicrosPerRequest.toFixed(0)} µs CPU`;
  const comparisons = SIDE_BY_SIDE.flatMap(([ours, alternative]) =>
    ADAPTERS.flatMap((adapter) => {
      const [a, b] = [find(adapter, ours), find(adapter, alternative)];
      return a && b ? [{ adapter, ours, alternative, ratio: a.requestsPerSecond / b.requestsPerSecond, cpuRatio: b.cpuMicrosPerRequest / a.cpuMicrosPerRequest, a, b }] : [];
    }),
  );
  // Two ratios: of req/s, and of CPU per request (alternative's over ours: above 1, ours costs less).
  for (const { adapter, ours, alternative, ratio, cpuRatio, a, b } of comparisons) {
    console.log(`${adapter}: ${ratio.toFixed(2)}x req/s, ${cpuRatio.toFixed(2)}x CPU  "${ours}" (${figure(a)}) vs "${alternative}" (${figure(b)})`);
  }
  // A partial run (BENCH_ONLY) leaves the committed results alone.
  if (ONLY) return;
  mkdirSync(RESULTS, { recursive: true });
  const sideBySide = comparisons.map(({ adapter, ours, alternative, ratio, cpuRatio }) => ({ adapter, ours, alternative, ratio, cpuRatio }));
  writeFileSync(join(RESULTS, 'http.json'), `${JSON.stringify({ node: process.version, seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, distinctTokens: DISTINCT_TOKENS, results: rows, sideBySide }, null, 2)}\n`);
  const chartRows = RUN.map((scenario) => ({
    scenario: scenario.name,
    values: Object.fromEntries(
      ADAPTERS.flatMap((adapter) => {
        const measured = find(adapter, scenario.name);
        return measured ? [[adapter, { value: measured.requestsPerSecond, p50Ms: measured.p50Ms, p99Ms: measured.p99Ms }]] : [];
      }),
    ),
  }));
  writeFileSync(join(RESULTS, 'http.svg'), barChartSvg(`microkubes-nestjs: req/s per scenario (${process.version}, 2 cores)`, chartRows));
  console.log(`\nWritten: bench/results/http.json, bench/results/http.svg`);
}

await main();
