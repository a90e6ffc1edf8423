import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './brokers.js';
import { freePort } from './test-app.js';

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server of the test's own, which it may kill and start again on the same port and data. */
export interface OwnRedisServer extends RedisServer {
  port: number;
  /** SIGKILL: connections drop at once, as when a Redis pod dies. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with what its append-only file kept. */
  restart(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * A real Redis on loopback: the one at REDIS_URL (`.ci/run` starts it), or else a redis-server of
 * this test's own (Debian's `redis-server` package), without persistence.
 */
export async function startRedis(): Promise<RedisServer> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  return startOwnRedis({ persistent: false, port: undefined });
}

/**
 * Always a redis-server of its own: `persistent` writes every command to an append-only file
 * (fsync always), so that a killed server comes back with its data, as a persistent Redis does.
 */
export async function startOwnRedis({ persistent = true, port }: { persistent?: boolean; port?: number } = {}): Promise<OwnRedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: install Debian's redis-server (apt-get install -y redis-server), or set REDIS_URL`);
  }
  const listenOn = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const args = ['--port', String(listenOn), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
  let server: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    server = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    await waitForPort(listenOn, server, 'redis-server', 5_000);
  };
  const halt = (signal: NodeJS.Signals) => new Promise<void>((resolve) => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return resolve();
    server.once('exit', () => resolve());
    server.kill(signal);
  });
  await start();
  return {
    url: `redis://127.0.0.1:${listenOn}`,
    port: listenOn,
    kill: () => halt('SIGKILL'),
    restart: start,
    stop: async () => {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
