import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './test-app.js';

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

const NATS_SERVER = '/usr/sbin/nats-server';
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** A real NATS server on loopback: the one at NATS_URL (`.ci/run` starts it), or else one of this test's own (Debian's nats-server). */
export async function startNats(): Promise<Broker> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  requireBinary(NATS_SERVER, 'nats-server', 'NATS_URL');
  const port = await freePort();
  const server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForPort(port, server, 'nats-server', 10_000);
  return { url: `nats://127.0.0.1:${port}`, stop: () => stopProcess(server) };
}

/**
 * A real RabbitMQ on loopback: the one at AMQP_URL (`.ci/run` starts it), or else a broker of this
 * test's own (Debian's rabbitmq-server) in a temporary directory, with a node name and ports of its own.
 * It takes some seconds to boot.
 */
export async function startRabbitMq(): Promise<Broker> {
  if (process.env.AMQP_URL) return { url: process.env.AMQP_URL, stop: async () => {} };
  requireBinary(RABBITMQ_SERVER, 'rabbitmq-server', 'AMQP_URL');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mk-rabbitmq-'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const server = spawn(RABBITMQ_SERVER, [], {
    stdio: 'ignore',
    detached: true,
    cwd: dir,
    env: {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_NODENAME: `mk-test-${port}@localhost`,
      RABBITMQ_DIST_PORT: String(port + 20_000 > 65_000 ? port - 20_000 : port + 20_000),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    },
  });
  await waitForPort(port, server, 'rabbitmq-server', 60_000);
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop: async () => {
      // The broker's Erlang VM runs in the process group the script started.
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // gone already
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function requireBinary(path: string, pkg: string, variable: string): void {
  if (!existsSync(path)) throw new Error(`${path} not found: install Debian's ${pkg} (apt-get install -y ${pkg}), or set ${variable}`);
}

function stopProcess(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null) return resolve();
    server.once('exit', () => resolve());
    server.kill('SIGTERM');
  });
}

/** Resolves once `port` accepts connections; fails when `server` exits first or `timeoutMs` passes. */
export async function waitForPort(port: number, server: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`${name} exited with ${server.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms`);
}
