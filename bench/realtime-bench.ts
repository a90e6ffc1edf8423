import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signatureFloor } from './signature-floor.js';
import { io } from 'socket.io-client';

/**
 * `npm run bench`, GraphQL and socket.io part, side by side in one run: Apollo on Express with one
 * guarded resolver and with 50 guarded field resolvers, beside the same query unsecured, a context
 * function verifying the token by hand, and the physical floor (one RS512 signature check in this
 * process); then socket.io messages per second through a guarded and an unguarded gateway. Each
 * app runs in a process of its own. Writes bench/results/realtime.json.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Rounds over all scenarios, interleaved, so that a slow moment of the machine hits every scenario alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 32;
const SOCKETS = 50;
const RESULTS = fileURLToPath(new URL('../../results/', import.meta.url));
const SERVER = fileURLToPath(new URL('./realtime-server.js', import.meta.url));

interface GraphqlScenario {
  name: string;
  app: 'graphql' | 'graphql-no-cache' | 'graphql-by-hand';
  query: string;
  expect: string;
  token: boolean;
}

const ITEMS = (field: string, value: (n: number) => string) =>
  JSON.stringify({ data: { items: Array.from({ length: 50 }, (_, n) => ({ [field]: value(n) })) } });

const GRAPHQL: GraphqlScenario[] = [
  { name: 'unsecured resolver', app: 'graphql', query: '{ open }', expect: '{"data":{"open":"hello"}}', token: false },
  { name: 'a guard that allows all (Nest’s guard cost)', app: 'graphql', query: '{ allowed }', expect: '{"data":{"allowed":"hello"}}', token: false },
  { name: 'guarded resolver', app: 'graphql', query: '{ whoami }', expect: '{"data":{"whoami":"user0@example.com"}}', token: true },
  { name: 'guarded resolver, every token verified (no cache)', app: 'graphql-no-cache', query: '{ whoami }', expect: '{"data":{"whoami":"user0@example.com"}}', token: true },
  { name: 'by hand: jwt.verify in the context function', app: 'graphql-by-hand', query: '{ whoami }', expect: '{"data":{"whoami":"user0@example.com"}}', token: true },
  { name: '50 unguarded fields', app: 'graphql', query: '{ items { plain } }', expect: ITEMS('plain', (n) => `#${n}`), token: false },
  { name: '50 guarded field resolvers', app: 'graphql', query: '{ items { owner } }', expect: ITEMS('owner', (n) => `user-0#${n}`), token: true },
  { name: '50 guarded field resolvers (no cache)', app: 'graphql-no-cache', query: '{ items { owner } }', expect: ITEMS('owner', (n) => `user-0#${n}`), token: true },
];

function keys(): { dir: string; signer: KeyObject; publicKey: KeyObject } {
  const dir = mkdtempSync(join(tmpdir(), 'mk-bench-rt-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'default.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, signer: privateKey, publicKey };
}

function token(signer: KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { iss: 'Microkubes JWT Authority', sub: 'user-0', exp: now + 86_400, iat: now, nbf: 0, userId: 'user-0', username: 'user0@example.com', roles: 'user', scopes: 'api:read' },
    signer,
    { algorithm: 'RS512' },
  );
}

async function startServer(app: string, port: number, keysDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER, app, String(port), keysDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${app} server exited with ${code}`)));
    child.once('message', () => resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

async function graphqlLoad(url: string, scenario: GraphqlScenario, jwtText: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/graphql`,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(scenario.token && { authorization: `Bearer ${jwtText}` }) },
    body: JSON.stringify({ query: scenario.query }),
    // Apollo ends its JSON with a newline.
    expectBody: `${scenario.expect}\n`,
  });
}

/** Messages per second: SOCKETS clients, each with one acknowledged message in flight at a time. */
async function socketIoLoad(url: string, namespace: string, jwtText: string, seconds: number): Promise<number> {
  const sockets = Array.from({ length: SOCKETS }, () => io(`${url}/${namespace}`, { auth: { token: jwtText }, transports: ['websocket'], reconnection: false, forceNew: true }));
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  })));
  let acknowledged = 0;
  let running = true;
  const loops = sockets.map(async (socket) => {
    while (running) {
      const answer = await socket.timeout(5_000).emitWithAck('echo', acknowledged);
      if (typeof answer !== 'number') throw new Error(`${namespace}: answered ${JSON.stringify(answer)}`);
      acknowledged++;
    }
  });
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await Promise.all(loops);
  const rate = acknowledged / ((Date.now() - started) / 1000);
  for (const socket of sockets) socket.close();
  return rate;
}

async function main(): Promise<void> {
  const { dir, signer, publicKey } = keys();
  const jwtText = token(signer);
  let port = 4410;
  const graphql: Array<{ scenario: string; requestsPerSecond: number; p99Ms: number }> = [];
  const messages: Array<{ gateway: string; messagesPerSecond: number }> = [];
  try {
    const floor = signatureFloor(jwtText, publicKey);
    const runs = new Map<string, Array<{ requestsPerSecond: number; p99Ms: number }>>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const scenario of GRAPHQL) {
        const server = await startServer(scenario.app, ++port, dir);
        const url = `http://127.0.0.1:${port}`;
        await graphqlLoad(url, scenario, jwtText, 2); // warm-up: JIT, connections, caches
        const result = await graphqlLoad(url, scenario, jwtText, SECONDS);
        server.kill();
        // A refused or wrong answer costs less than a served one: such a figure would flatter it.
        if (result.non2xx > 0 || result.errors > 0 || result.mismatches > 0) {
          throw new Error(`GraphQL "${scenario.name}": ${result.non2xx} non-2xx, ${result.errors} errors, ${result.mismatches} unexpected bodies; the measurement is void`);
        }
        runs.set(scenario.name, [...(runs.get(scenario.name) ?? []), { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99 }]);
        process.stdout.write(`  round ${round} GraphQL ${scenario.name}: ${Math.round(result.requests.average)} req/s\n`);
      }
    }
    for (const [scenario, rounds] of runs) {
      graphql.push({ scenario, requestsPerSecond: rounds.reduce((sum, run) => sum + run.requestsPerSecond, 0) / rounds.length, p99Ms: Math.max(...rounds.map((run) => run.p99Ms)) });
    }
    const server = await startServer('socket.io', ++port, dir);
    for (const gateway of ['open', 'guarded']) {
      await socketIoLoad(`http://127.0.0.1:${port}`, gateway, jwtText, 1);
      messages.push({ gateway, messagesPerSecond: await socketIoLoad(`http://127.0.0.1:${port}`, gateway, jwtText, SECONDS) });
    }
    server.kill();
    report(graphql, messages, floor);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(graphql: Array<{ scenario: string; requestsPerSecond: number; p99Ms: number }>, messages: Array<{ gateway: string; messagesPerSecond: number }>, floor: number): void {
  const rate = (name: string) => graphql.find((row) => row.scenario === name)!.requestsPerSecond;
  const ratios: Record<string, [string, string]> = {
    'a guard that allows all (Nest’s guard cost)': ['unsecured resolver', 'by hand: jwt.verify in the context function'],
    'guarded resolver': ['unsecured resolver', 'by hand: jwt.verify in the context function'],
    'guarded resolver, every token verified (no cache)': ['unsecured resolver', 'by hand: jwt.verify in the context function'],
    '50 guarded field resolvers': ['50 unguarded fields', 'by hand: jwt.verify in the context function'],
    '50 guarded field resolvers (no cache)': ['50 unguarded fields', 'by hand: jwt.verify in the context function'],
  };
  console.log(`\nGraphQL, Apollo on Express, ${CONNECTIONS} connections, ${SECONDS} s x ${ROUNDS} rounds; one RS512 check: ${(1e6 / floor).toFixed(1)} µs`);
  console.log('scenario'.padEnd(52), 'req/s'.padStart(8), 'p99 ms'.padStart(8), 'vs unsecured'.padStart(13), 'vs by hand'.padStart(11), 'added µs'.padStart(9), 'in checks'.padStart(10));
  // The server is one thread: 1e6 / (req/s) is the µs of it a request takes; the difference to the
  // unsecured scenario is what security added, also told in signature checks (the physical floor).
  const rows = graphql.map((row) => {
    const [unsecured, byHand] = ratios[row.scenario] ?? [];
    const addedMicros = unsecured ? 1e6 / row.requestsPerSecond - 1e6 / rate(unsecured) : undefined;
    return {
      ...row,
      vsUnsecured: unsecured ? row.requestsPerSecond / rate(unsecured) : undefined,
      vsByHand: byHand ? row.requestsPerSecond / rate(byHand) : undefined,
      addedMicros,
      addedSignatureChecks: addedMicros === undefined ? undefined : addedMicros / (1e6 / floor),
    };
  });
  const fixed = (value: number | undefined, width: number, digits = 2) => (value === undefined ? '' : value.toFixed(digits)).padStart(width);
  for (const row of rows) {
    console.log(row.scenario.padEnd(52), String(Math.round(row.requestsPerSecond)).padStart(8), String(row.p99Ms).padStart(8), fixed(row.vsUnsecured, 13), fixed(row.vsByHand, 11), fixed(row.addedMicros, 9, 0), fixed(row.addedSignatureChecks, 10, 1));
  }
  const open = messages.find((row) => row.gateway === 'open')!.messagesPerSecond;
  console.log(`\nsocket.io, ${SOCKETS} sockets, one acknowledged message in flight each, ${SECONDS} s`);
  for (const row of messages) console.log(`${row.gateway.padEnd(10)} ${String(Math.round(row.messagesPerSecond)).padStart(8)} msg/s  ${(row.messagesPerSecond / open).toFixed(2)} of the unguarded gateway`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'realtime.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, signatureChecksPerSecond: floor, graphql: rows, socketIo: messages.map((row) => ({ ...row, vsUnguarded: row.messagesPerSecond / open })) }, null, 2)}\n`);
}

await main();
