import { headers as natsHeaders } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, NatsRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import jwt from 'jsonwebtoken';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signatureFloor } from './signature-floor.js';
import { firstValueFrom } from 'rxjs';
import { MicrokubesModule, ServiceCalls } from '../lib/index.js';

/**
 * `npm run bench`, message transports part: messages per second through MicrokubesAuthGuard (one
 * token, answered by the cache) beside the same handler unguarded and behind the guard a user would
 * write by hand (jsonwebtoken, a parsed key), over TCP and NATS, 100 messages in flight, server in a
 * process of its own; the physical floor (one RS512 check) in this process. Then ServiceCalls'
 * system mode under load: headers made per second, and the signatures that took. Writes
 * bench/results/rpc.json.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const IN_FLIGHT = 100;
const RESULTS = fileURLToPath(new URL('../../results/', import.meta.url));
const SERVER = fileURLToPath(new URL('./rpc-server.js', import.meta.url));
const NATS_SERVER = '/usr/sbin/nats-server';
const PATTERNS = ['open', 'allow-all', 'guarded', 'by-hand'] as const;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.once('message', () => resolve());
  });
  child.removeAllListeners('exit');
}

function client(transport: 'tcp' | 'nats', address: string, authorization: string): { proxy: ClientProxy; wrap: (n: number) => unknown } {
  if (transport === 'tcp') {
    const proxy = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(address) } });
    proxy.setOnDispatchHook((packet) => (packet.metadata = { authorization }));
    return { proxy, wrap: (n) => n };
  }
  const proxy = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [address] } });
  return {
    proxy,
    wrap: (n) => {
      const headers = natsHeaders();
      headers.set('authorization', authorization);
      return new NatsRecordBuilder(n).setHeaders(headers).build();
    },
  };
}

/** Messages answered per second, IN_FLIGHT at a time, for `seconds`. */
async function load(target: { proxy: ClientProxy; wrap: (n: number) => unknown }, pattern: string, seconds: number): Promise<number> {
  let answered = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < until) {
        const n = answered;
        const answer = await firstValueFrom(target.proxy.send<number>(pattern, target.wrap(n)));
        if (answer !== n) throw new Error(`${pattern}: answered ${JSON.stringify(answer)} to ${n}; the measurement is void`);
        answered++;
      }
    }),
  );
  return answered / ((Date.now() - started) / 1000);
}

/** ServiceCalls in system mode, asked for headers as fast as one core can for `seconds`. */
async function systemMode(dir: string, seconds: number): Promise<{ headersPerSecond: number; signatures: number; signaturesPerSecond: number }> {
  const app = await NestFactory.createApplicationContext(MicrokubesModule.forRoot({ keysDir: dir, watchKeys: false, serviceCalls: { serviceName: 'bench' } }), { logger: false });
  const calls = app.get(ServiceCalls);
  const started = Date.now();
  let made = 0;
  while (Date.now() - started < seconds * 1000) {
    for (let i = 0; i < 1000; i++) calls.headers('system');
    made += 1000;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = (Date.now() - started) / 1000;
  const signatures = calls.systemTokenSignatures;
  await app.close();
  return { headersPerSecond: made / elapsed, signatures, signaturesPerSecond: signatures / elapsed };
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const dir = mkdtempSync(join(tmpdir(), 'mk-bench-rpc-'));
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const system = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'default.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'system'), system.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const now = Math.floor(Date.now() / 1000);
  const token = jwt.sign({ iss: 'Microkubes JWT Authority', sub: 'user-0', exp: now + 86_400, iat: now, nbf: 0, userId: 'user-0', username: 'user0@example.com', roles: 'user', scopes: 'api:read' }, pair.privateKey, { algorithm: 'RS512' });
  const children: ChildProcess[] = [];
  const results: Array<{ transport: string; pattern: string; messagesPerSecond: number }> = [];
  try {
    const floor = signatureFloor(token, pair.publicKey);
    const transports: Array<{ transport: 'tcp' | 'nats'; address: string }> = [{ transport: 'tcp', address: String(await freePort()) }];
    if (existsSync(NATS_SERVER)) {
      const natsPort = await freePort();
      children.push(spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      transports.push({ transport: 'nats', address: `nats://127.0.0.1:${natsPort}` });
    } else {
      console.log(`(no ${NATS_SERVER}: NATS left out; apt-get install nats-server)`);
    }
    const runs = new Map<string, number[]>();
    for (const { transport, address } of transports) {
      const server = spawn(process.execPath, [SERVER, transport, address, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(server);
      await waitFor(server);
      const target = client(transport, address, `Bearer ${token}`);
      await target.proxy.connect();
      for (const pattern of PATTERNS) await load(target, pattern, 1); // warm-up
      for (let round = 1; round <= ROUNDS; round++) {
        for (const pattern of PATTERNS) {
          const rate = await load(target, pattern, SECONDS);
          runs.set(`${transport} ${pattern}`, [...(runs.get(`${transport} ${pattern}`) ?? []), rate]);
          process.stdout.write(`  round ${round} ${transport} ${pattern}: ${Math.round(rate)} msg/s\n`);
        }
      }
      await target.proxy.close();
      server.kill();
    }
    for (const [key, rates] of runs) {
      const [transport, pattern] = key.split(' ') as [string, string];
      results.push({ transport, pattern, messagesPerSecond: rates.reduce((sum, rate) => sum + rate, 0) / rates.length });
    }
    const system = await systemMode(dir, SECONDS);
    report(results, floor, system);
  } finally {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(results: Array<{ transport: string; pattern: string; messagesPerSecond: number }>, floor: number, system: { headersPerSecond: number; signatures: number; signaturesPerSecond: number }): void {
  console.log(`\nMessage handlers, ${IN_FLIGHT} in flight, ${SECONDS} s x ${ROUNDS} rounds; one RS512 check: ${(1e6 / floor).toFixed(1)} µs (${Math.round(floor)}/s)`);
  console.log('transport'.padEnd(10), 'handler'.padEnd(34), 'msg/s'.padStart(8), 'x open'.padStart(8), 'x by hand'.padStart(10), 'added µs'.padStart(9));
  const rows = results.map((row) => {
    const open = results.find((other) => other.transport === row.transport && other.pattern === 'open')!.messagesPerSecond;
    const byHand = results.find((other) => other.transport === row.transport && other.pattern === 'by-hand')!.messagesPerSecond;
    return { ...row, vsOpen: row.messagesPerSecond / open, vsByHand: row.messagesPerSecond / byHand, addedMicros: 1e6 / row.messagesPerSecond - 1e6 / open };
  });
  const names: Record<string, string> = { open: 'unguarded', 'allow-all': 'a guard that allows all (Nest)', guarded: 'MicrokubesAuthGuard (cached token)', 'by-hand': 'by hand: jsonwebtoken, parsed key' };
  for (const row of rows) {
    console.log(row.transport.padEnd(10), names[row.pattern]!.padEnd(34), String(Math.round(row.messagesPerSecond)).padStart(8), row.vsOpen.toFixed(2).padStart(8), row.vsByHand.toFixed(2).padStart(10), row.addedMicros.toFixed(0).padStart(9));
  }
  console.log(`\nServiceCalls, system mode, one core asking as fast as it can: ${Math.round(system.headersPerSecond)} headers/s, ${system.signatures} signature(s) in ${SECONDS} s (${system.signaturesPerSecond.toFixed(2)}/s)`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'rpc.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, rounds: ROUNDS, inFlight: IN_FLIGHT, signatureChecksPerSecond: floor, handlers: rows, systemMode: system }, null, 2)}\n`);
}

await main();
