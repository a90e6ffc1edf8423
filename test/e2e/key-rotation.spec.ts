import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MicrokubesModule } from '../../lib/index.js';
import { HelloController } from '../support/hello.controller.js';
import { jwtIssuerToken, rsaKeyPair, type RsaKeyPair } from '../../lib/testing/index.js';
import { bearer, PLATFORMS, startApp, type RunningApp } from '../support/test-app.js';

const tokenOf = (pair: RsaKeyPair, username: string) => jwtIssuerToken(pair.privateKey, { userId: username, username });

async function statusOf(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/hello`, bearer(token))).status;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Requests with a token that stays valid across the swap, ten at a time, until stopped. */
function keepCalling(url: string, token: string) {
  const statuses: number[] = [];
  let running = true;
  const workers = Array.from({ length: 10 }, async () => {
    while (running) statuses.push(await statusOf(url, token).catch(() => -1));
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return statuses;
    },
  };
}

/** A keys directory as Kubernetes mounts a secret: files that link through the `..data` symlink. */
class KubernetesSecretDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'mk-k8s-'));
  private version = 0;
  private current?: string;

  constructor(files: Record<string, string>, links: string[]) {
    this.publish(files);
    for (const name of links) symlinkSync(join('..data', name), join(this.dir, name));
  }

  /** Kubernetes' atomic update: a new timestamped folder, `..data` swapped by rename, old folder gone. */
  publish(files: Record<string, string>): void {
    const folder = `..2026_11_28_00_00_0${this.version++}.000000001`;
    mkdirSync(join(this.dir, folder));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, folder, name), content);
    symlinkSync(folder, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current) rmSync(join(this.dir, this.current), { recursive: true });
    this.current = folder;
  }
}

describe.each(PLATFORMS)('key rotation while the service runs (%s)', (platform) => {
  let running: RunningApp | undefined;
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    await running?.close();
    running = undefined;
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  const [oldKey, newKey, steadyKey] = [rsaKeyPair(), rsaKeyPair(), rsaKeyPair()];

  /** A plain keys directory holding these files, and the app started on it. */
  async function startOnKeysDir(files: Record<string, string>): Promise<{ dir: string; app: RunningApp }> {
    const dir = mkdtempSync(join(tmpdir(), 'mk-rot-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    running = await startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: dir })], controllers: [HelloController] });
    return { dir, app: running };
  }
  const oldToken = tokenOf(oldKey, 'old@example.com');
  const newToken = tokenOf(newKey, 'new@example.com');
  const steadyToken = tokenOf(steadyKey, 'steady@example.com');

  it('picks up a key file replaced on disk, with no failed request during the swap', async () => {
    const { dir, app } = await startOnKeysDir({ 'default.pub': oldKey.publicPem, 'system.pub': steadyKey.publicPem });
    const { url } = app;
    expect(await statusOf(url, oldToken)).toBe(200);
    expect(await statusOf(url, newToken)).toBe(401);

    const load = keepCalling(url, steadyToken);
    writeFileSync(join(dir, 'default.pub.tmp'), newKey.publicPem);
    renameSync(join(dir, 'default.pub.tmp'), join(dir, 'default.pub'));
    await eventually(async () => (await statusOf(url, newToken)) === 200);
    const statuses = await load.stop();

    expect(await statusOf(url, oldToken)).toBe(401);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
  });

  it("follows Kubernetes' atomic ..data symlink swap", async () => {
    const secret = new KubernetesSecretDir({ 'default.pub': oldKey.publicPem, 'system.pub': steadyKey.publicPem }, ['default.pub', 'system.pub']);
    cleanups.push(() => rmSync(secret.dir, { recursive: true, force: true }));
    running = await startApp(platform, { imports: [MicrokubesModule.forRoot({ keysDir: secret.dir })], controllers: [HelloController] });
    const { url } = running;
    expect(await statusOf(url, oldToken)).toBe(200);

    const load = keepCalling(url, steadyToken);
    secret.publish({ 'default.pub': newKey.publicPem, 'system.pub': steadyKey.publicPem });
    await eventually(async () => (await statusOf(url, newToken)) === 200);
    const statuses = await load.stop();

    expect(await statusOf(url, oldToken)).toBe(401);
    expect(statuses.every((status) => status === 200)).toBe(true);
  });

  it('keeps the previous keys when a changed file cannot be parsed, and says which file', async () => {
    const { dir, app } = await startOnKeysDir({ 'default.pub': oldKey.publicPem });
    const { url, logger } = app;

    writeFileSync(join(dir, 'default.pub'), '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n');
    await eventually(async () => logger.lines.some((line) => line.includes('Keys not reloaded') && line.includes(join(dir, 'default.pub'))));
    expect(await statusOf(url, oldToken)).toBe(200);

    writeFileSync(join(dir, 'default.pub'), newKey.publicPem);
    await eventually(async () => (await statusOf(url, newToken)) === 200);
    expect(await statusOf(url, oldToken)).toBe(401);
  });

  it('drops a removed key and adds a new one', async () => {
    const { dir, app } = await startOnKeysDir({ 'default.pub': oldKey.publicPem, 'system.pub': steadyKey.publicPem });
    const { url } = app;

    rmSync(join(dir, 'default.pub'));
    await eventually(async () => (await statusOf(url, oldToken)) === 401);
    writeFileSync(join(dir, 'extra.pub'), newKey.publicPem);
    await eventually(async () => (await statusOf(url, newToken)) === 200);
    expect(await statusOf(url, steadyToken)).toBe(200);
  });
});
