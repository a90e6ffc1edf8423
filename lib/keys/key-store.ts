import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { classifyKeyFile, KeyFileError, kindOfPem, parseKeyFile, type StoredKey } from './key-file.js';

export interface KeyStoreOptions {
  /** Directory of keys named by the platform's rules. */
  keysDir?: string;
  /** Keys by name, as file paths; their kind comes from their PEM label. */
  keys?: Record<string, string>;
  /** Reload when the files change. Default true. */
  watch?: boolean;
}

export interface KeyStoreStatus {
  public: number;
  private: number;
  certificates: number;
  /** Set while the files on disk cannot be loaded; the previous keys are still in use. */
  reloadError?: string;
}

/** An immutable set of parsed keys; a reload builds a new one and swaps it in at once. */
interface KeySet {
  readonly public: ReadonlyMap<string, StoredKey>;
  readonly publicList: readonly StoredKey[];
  readonly private: ReadonlyMap<string, StoredKey>;
  readonly certificates: ReadonlyMap<string, StoredKey>;
  readonly fingerprint: string;
}

const RELOAD_DEBOUNCE_MS = 100;
const RELOAD_RETRY_MS = 1_000;
const RELOAD_RETRIES = 5;

/**
 * The platform's keys, parsed once into KeyObjects. Lookups never touch the disk; the files are
 * watched and a change (including Kubernetes' `..data` symlink swap) swaps in a new key set. A
 * reload that fails keeps the previous keys.
 */
export class KeyStore {
  private readonly logger = new Logger('MicrokubesKeyStore');
  private readonly watchers: FSWatcher[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly reloadListeners = new Set<(reloaded: boolean) => void>();
  private reloadTimer?: NodeJS.Timeout;
  private reloadFailures = 0;
  private generation = 0;
  private reloading: Promise<unknown> = Promise.resolve();
  private lastReloadError?: string;

  private constructor(
    private readonly options: KeyStoreOptions,
    private keySet: KeySet,
  ) {}

  /** Loads every key; throws KeyFileError naming the first file that cannot be used. */
  static async load(options: KeyStoreOptions): Promise<KeyStore> {
    const store = new KeyStore(options, await readKeySet(options));
    store.logger.log(`Keys loaded: ${describe(store.keySet)}`);
    if (options.watch !== false) store.watch();
    return store;
  }

  /** The public key of that name (`NAME.pub` in a keys directory). Never a path. */
  publicKey(name: string): StoredKey | undefined {
    return this.keySet.public.get(name);
  }

  publicKeys(): readonly StoredKey[] {
    return this.keySet.publicList;
  }

  /** A private key by its file name (`default`, `private.pem`, `service.key`) or explicit name. */
  privateKey(name: string): StoredKey | undefined {
    return this.keySet.private.get(name);
  }

  /** A certificate by its file name (`service.cert`) or explicit name. */
  certificate(name: string): StoredKey | undefined {
    return this.keySet.certificates.get(name);
  }

  /** How many keys of each kind are loaded, and why the last reload failed, if it did (for health checks). */
  status(): KeyStoreStatus {
    const { public: publicKeys, private: privateKeys, certificates } = this.keySet;
    return { public: publicKeys.size, private: privateKeys.size, certificates: certificates.size, reloadError: this.lastReloadError };
  }

  /** Grows by one each time a reload changes the keys. */
  get version(): number {
    return this.generation;
  }

  /** Calls `listener` after each reload that changed the keys; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` after each reload, whether it changed the keys or not, with whether it worked. */
  onReload(listener: (reloaded: boolean) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /**
   * Reads the files again now. Resolves false, keeping the current keys, when that fails. Reloads
   * run one at a time, so that a slow read never replaces the keys of a later one.
   */
  reload(): Promise<boolean> {
    const run = this.reloading.then(() => this.readAndSwap());
    this.reloading = run.catch(() => false);
    return run;
  }

  private async readAndSwap(): Promise<boolean> {
    let next: KeySet;
    try {
      next = await readKeySet(this.options);
    } catch (error) {
      this.lastReloadError = (error as Error).message;
      this.logger.warn(`Keys not reloaded, keeping the previous ones: ${this.lastReloadError}`);
      this.tellReloaded(false);
      return false;
    }
    this.lastReloadError = undefined;
    if (next.fingerprint !== this.keySet.fingerprint) {
      this.keySet = next;
      this.generation++;
      this.logger.log(`Keys reloaded: ${describe(next)}`);
      for (const listener of this.listeners) listener();
    }
    this.tellReloaded(true);
    return true;
  }

  /** A listener that throws (telemetry) never fails the reload, nor the next listener. */
  private tellReloaded(reloaded: boolean): void {
    for (const listener of this.reloadListeners) {
      try {
        listener(reloaded);
      } catch (error) {
        this.logger.warn(`A reload listener failed: ${(error as Error)?.message ?? error}`);
      }
    }
  }

  onModuleDestroy(): void {
    this.close();
  }

  close(): void {
    clearTimeout(this.reloadTimer);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    this.listeners.clear();
    this.reloadListeners.clear();
  }

  private watch(): void {
    const directories = new Set<string>();
    if (this.options.keysDir) directories.add(resolve(this.options.keysDir));
    for (const file of Object.values(this.options.keys ?? {})) directories.add(dirname(resolve(file)));
    for (const directory of directories) {
      try {
        const watcher = watch(directory, { persistent: false }, () => this.scheduleReload(RELOAD_DEBOUNCE_MS));
        watcher.on('error', (error) => this.logger.warn(`Stopped watching ${directory}: ${error.message}`));
        this.watchers.push(watcher);
      } catch (error) {
        this.logger.warn(`Cannot watch ${directory}, key changes need a restart: ${(error as Error).message}`);
      }
    }
  }

  /** Debounced: a secret rotation touches several entries at once. */
  private scheduleReload(delay: number): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      void this.reload().then((reloaded) => {
        // A file caught half-written fails to parse; look again shortly, a few times.
        this.reloadFailures = reloaded ? 0 : this.reloadFailures + 1;
        if (!reloaded && this.reloadFailures <= RELOAD_RETRIES) this.scheduleReload(RELOAD_RETRY_MS);
      });
    }, delay);
    this.reloadTimer.unref();
  }
}

async function readKeySet(options: KeyStoreOptions): Promise<KeySet> {
  const keys: StoredKey[] = [];
  const hash = createHash('sha256');
  if (options.keysDir) {
    const directory = resolve(options.keysDir);
    let entries: string[];
    try {
      entries = (await readdir(directory)).sort();
    } catch (error) {
      throw new KeyFileError(directory, directoryProblem(error as NodeJS.ErrnoException), 'Keys directory (keysDir)');
    }
    for (const entry of entries) {
      const classified = classifyKeyFile(entry);
      if (!classified) continue;
      const file = join(directory, entry);
      // Skip directories (and dangling links) that happen to look like key names.
      const isFile = await stat(file).then((s) => s.isFile(), () => false);
      if (!isFile) continue;
      const pem = await readKeyText(file);
      // Docker swarm mounts every secret of a service here; one without an extension that holds
      // no PEM (a password, a token) is not a key. A broken PEM still fails.
      if (extname(entry) === '' && !pem.includes('-----BEGIN')) continue;
      hash.update(`${entry}\0${pem}\0`);
      keys.push(parseKeyFile(pem, classified.name, classified.kind, file));
    }
  }
  for (const [name, path] of Object.entries(options.keys ?? {})) {
    const file = resolve(path);
    const pem = await readKeyText(file);
    hash.update(`${name}\0${pem}\0`);
    keys.push(parseKeyFile(pem, name, kindOfPem(pem, file), file));
  }
  const byKind = (kind: StoredKey['kind']) => new Map(keys.filter((k) => k.kind === kind).map((k) => [k.name, k]));
  const publicKeys = byKind('public');
  return {
    public: publicKeys,
    publicList: [...publicKeys.values()],
    private: byKind('private'),
    certificates: byKind('certificate'),
    fingerprint: hash.digest('hex'),
  };
}

async function readKeyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(file, `cannot be read: ${(error as Error).message}`);
  }
}

function describe(set: KeySet): string {
  const names = (map: ReadonlyMap<string, unknown>) => [...map.keys()].join(', ') || 'none';
  return `public [${names(set.public)}], private [${names(set.private)}], certificates [${names(set.certificates)}]`;
}

function directoryProblem(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'does not exist';
  if (error.code === 'ENOTDIR') return 'is not a directory';
  if (error.code === 'EACCES') return 'cannot be read (permission denied)';
  return `cannot be read: ${error.message}`;
}
