import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyFileError, KeyStore } from '../../../lib/index.js';
import { platformKeysDir, rsaKeyPair, samlKeyPair } from '../../../lib/testing/index.js';

/**
 * The key store's own file reads, watched: the real ones, passed through, unless a test sets a
 * hook (to see when a directory is listed, to see what a file read returned or to hold it back).
 */
const fsHooks = vi.hoisted(() => ({
  onReaddir: undefined as ((path: string) => void) | undefined,
  onReadFile: undefined as ((path: string, text: string) => Promise<void> | void) | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    readdir: (async (...args: unknown[]) => {
      fsHooks.onReaddir?.(String(args[0]));
      return Reflect.apply(actual.readdir, actual, args);
    }) as typeof actual.readdir,
    readFile: (async (...args: unknown[]) => {
      const content: unknown = await Reflect.apply(actual.readFile, actual, args);
      await fsHooks.onReadFile?.(String(args[0]), String(content));
      return content;
    }) as typeof actual.readFile,
  };
});

const dirs: string[] = [];
const stores: KeyStore[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk-ks-'));
  dirs.push(dir);
  return dir;
};
const load = async (options: Parameters<typeof KeyStore.load>[0]) => {
  const store = await KeyStore.load({ watch: false, ...options });
  stores.push(store);
  return store;
};

beforeAll(() => Logger.overrideLogger(false));

afterEach(() => {
  fsHooks.onReaddir = undefined;
  fsHooks.onReadFile = undefined;
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('KeyStore', () => {
  it("classifies a platform keys directory by the platform's naming rules", async () => {
    const keys = platformKeysDir();
    dirs.push(keys.dir);
    writeFileSync(join(keys.dir, 'notes.txt'), 'not a key');
    mkdirSync(join(keys.dir, 'nested.pub'));
    const store = await load({ keysDir: keys.dir });
    expect(store.publicKeys().map((k) => k.name).sort()).toEqual(['default', 'public', 'system']);
    expect(store.publicKey('default')?.key.asymmetricKeyType).toBe('rsa');
    expect(store.publicKey('default')?.key.export({ type: 'spki', format: 'pem' })).toBe(keys.default.publicPem);
    for (const name of ['default', 'system', 'private.pem', 'service.key']) {
      expect(store.privateKey(name)?.key.type, name).toBe('private');
    }
    expect(store.certificate('service.cert')?.certificate).toBeInstanceOf(X509Certificate);
    expect(store.certificate('service.cert')?.key.type).toBe('public');
    expect(store.publicKey('default.pub')).toBeUndefined();
    expect(store.publicKey('../default')).toBeUndefined();
    expect(store.privateKey('notes.txt')).toBeUndefined();
  });

  it('parses PKCS#1 and SPKI public keys, PKCS#1 and PKCS#8 private keys, and .crt certificates', async () => {
    const dir = tempDir();
    const pair = rsaKeyPair();
    writeFileSync(join(dir, 'spki.pub'), pair.publicPem);
    writeFileSync(join(dir, 'pkcs1.pub'), pair.publicKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(dir, 'pkcs1'), pair.privatePem);
    writeFileSync(join(dir, 'pkcs8.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'ec.key'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }));
    writeFileSync(join(dir, 'idp.crt'), samlKeyPair().certificatePem);
    const store = await load({ keysDir: dir });
    expect(store.publicKey('spki')?.key.equals(pair.publicKey)).toBe(true);
    expect(store.publicKey('pkcs1')?.key.equals(pair.publicKey)).toBe(true);
    expect(store.privateKey('pkcs1')?.key.equals(pair.privateKey)).toBe(true);
    expect(store.privateKey('pkcs8.pem')?.key.equals(pair.privateKey)).toBe(true);
    expect(store.privateKey('ec.key')?.key.asymmetricKeyType).toBe('ec');
    expect(store.certificate('idp.crt')).toBeDefined();
  });

  it('takes explicit name -> file keys and tells their kind from the PEM', async () => {
    const dir = tempDir();
    const pair = rsaKeyPair();
    writeFileSync(join(dir, 'a'), pair.publicPem);
    writeFileSync(join(dir, 'b'), pair.privatePem);
    writeFileSync(join(dir, 'c'), samlKeyPair().certificatePem);
    const store = await load({ keys: { issuer: join(dir, 'a'), signer: join(dir, 'b'), sp: join(dir, 'c') } });
    expect(store.publicKey('issuer')?.key.equals(pair.publicKey)).toBe(true);
    expect(store.privateKey('signer')).toBeDefined();
    expect(store.certificate('sp')).toBeDefined();
  });

  it.each([
    ['default.pub', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'cannot be parsed as a public key'],
    ['default.pub', '', 'is empty'],
    ['default', '-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----\n', 'cannot be parsed as a private key'],
    ['service.cert', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'cannot be parsed as a certificate key'],
  ])('fails naming the file when %s cannot be parsed', async (file, content, problem) => {
    const dir = tempDir();
    writeFileSync(join(dir, file), content);
    const error = await load({ keysDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).file).toBe(join(dir, file));
    expect((error as Error).message).toContain(`Key file ${join(dir, file)}: ${problem}`);
  });

  it('skips other Docker secrets without an extension, but not a broken PEM', async () => {
    const keys = platformKeysDir();
    dirs.push(keys.dir);
    writeFileSync(join(keys.dir, 'db_password'), 'correct horse battery staple');
    const store = await load({ keysDir: keys.dir });
    expect(store.privateKey('db_password')).toBeUndefined();
    expect(store.publicKeys()).toHaveLength(3);
    writeFileSync(join(keys.dir, 'broken'), '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n');
    await expect(load({ keysDir: keys.dir })).rejects.toThrow(join(keys.dir, 'broken'));
  });

  it('runs reloads one at a time, the last one winning', async () => {
    const dir = tempDir();
    const file = join(dir, 'default.pub');
    const [a, b, c] = [rsaKeyPair(), rsaKeyPair(), rsaKeyPair()];
    const names = new Map([[a.publicPem, 'A'], [b.publicPem, 'B'], [c.publicPem, 'C']]);
    writeFileSync(file, a.publicPem);
    const store = await load({ keysDir: dir });

    // What the reloads do, in order; the first reload's read of the key file is held back.
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fsHooks.onReaddir = () => events.push('list');
    fsHooks.onReadFile = async (path, text) => {
      if (path !== file) return;
      events.push(`read ${names.get(text) ?? '?'}`);
      if (events.filter((event) => event.startsWith('read')).length === 1) await held;
    };
    const until = async (condition: () => boolean, ms: number) => {
      for (const deadline = Date.now() + ms; !condition() && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    writeFileSync(file, b.publicPem);
    const first = store.reload().then((result) => (events.push('done 1'), result));
    await until(() => events.includes('read B'), 5_000);
    expect(events).toEqual(['list', 'read B']);

    // B is read and on its way; C is written and a second reload asked for while the first is in flight.
    writeFileSync(file, c.publicPem);
    const second = store.reload().then((result) => (events.push('done 2'), result));
    // Ample time for a reload that did not wait to list the directory, read C and swap it in.
    await until(() => events.includes('done 2'), 300);
    expect(events, 'the second reload started while the first was in flight').toEqual(['list', 'read B']);
    expect(store.publicKey('default')?.key.equals(a.publicKey)).toBe(true);

    release();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(events).toEqual(['list', 'read B', 'done 1', 'list', 'read C', 'done 2']);
    // The later read wins: C, never the older B that the first reload read.
    expect(store.publicKey('default')?.key.equals(c.publicKey), 'the key of the later read, C, is in use').toBe(true);
    expect(store.version).toBe(2);
  });

  it('fails for an encrypted private key, which it cannot use', async () => {
    const dir = tempDir();
    const encrypted = rsaKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    writeFileSync(join(dir, 'private.pem'), encrypted);
    await expect(load({ keysDir: dir })).rejects.toThrow(join(dir, 'private.pem'));
  });

  it('fails for a missing directory or file, naming it', async () => {
    await expect(load({ keysDir: '/nonexistent/keys' })).rejects.toThrow('Keys directory (keysDir) /nonexistent/keys: does not exist');
    const file = join(tempDir(), 'service.cert');
    writeFileSync(file, samlKeyPair().certificatePem);
    await expect(load({ keysDir: file })).rejects.toThrow(/^Keys directory \(keysDir\) .*service\.cert: is not a directory$/);
    await expect(load({ keys: { x: '/nonexistent/x.pub' } })).rejects.toThrow('Key file /nonexistent/x.pub: cannot be read');
    const dir = tempDir();
    writeFileSync(join(dir, 'odd'), 'no pem here');
    await expect(load({ keys: { odd: join(dir, 'odd') } })).rejects.toThrow('holds no PEM key or certificate');
  });

  it('reload() swaps in changed keys, notifies, and keeps the old ones when the new cannot be parsed', async () => {
    const dir = tempDir();
    const [first, second] = [rsaKeyPair(), rsaKeyPair()];
    writeFileSync(join(dir, 'default.pub'), first.publicPem);
    const store = await load({ keysDir: dir });
    let changes = 0;
    store.onChange(() => changes++);

    expect(await store.reload()).toBe(true);
    expect(changes).toBe(0);
    expect(store.version).toBe(0);

    writeFileSync(join(dir, 'default.pub'), second.publicPem);
    expect(await store.reload()).toBe(true);
    expect(changes).toBe(1);
    expect(store.version).toBe(1);
    expect(store.publicKey('default')?.key.equals(second.publicKey)).toBe(true);

    writeFileSync(join(dir, 'default.pub'), 'broken');
    expect(await store.reload()).toBe(false);
    expect(store.publicKey('default')?.key.equals(second.publicKey)).toBe(true);
    expect(changes).toBe(1);
  });
});
