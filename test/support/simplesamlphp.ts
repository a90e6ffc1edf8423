import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { SAML_ATTRIBUTES } from '../../lib/index.js';
import type { SamlKeyPair } from '../../lib/testing/index.js';
import { freePort } from './test-app.js';

/** Where Debian's simplesamlphp package puts SimpleSAMLphp; `www` is its document root. */
export const SIMPLESAMLPHP_HOME = '/usr/share/simplesamlphp';
const WWW = join(SIMPLESAMLPHP_HOME, 'www');

const URI_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';

/** The one user of the IdP's `exampleauth:UserPass` source, with the platform's attributes by OID. */
export const SIMPLESAMLPHP_USER = {
  username: 'jane',
  password: 'jane-pass',
  uid: 'jane-id',
  eduPersonPrincipalName: 'jane@example.com',
  eduPersonAffiliation: ['user', 'admin'],
} as const;

export interface SimpleSamlPhpIdp {
  /** The IdP's entity id, as its own metadata says. */
  entityId: string;
  /** Its SingleSignOnService for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** `http://127.0.0.1:<port>`, the server's base URL. */
  url: string;
  /** The scratch folder: config, metadata, logs, sessions. */
  dir: string;
  /** The PHP server's output and SimpleSAMLphp's log, to show when a test fails. */
  diagnostics(): string;
  /** Stops the PHP server (its whole process group) and removes the scratch folder. */
  stop(): Promise<void>;
}

export interface SimpleSamlPhpOptions {
  /** The SP's entity id (the platform's `${base}/saml/metadata`). */
  spEntityId: string;
  /** The SP's ACS URL, HTTP-POST binding. */
  acsUrl: string;
  /** The platform's shared SAML pair, which the IdP signs with and the SP trusts (a kit's `keys.saml`). */
  keys: Pick<SamlKeyPair, 'privatePem' | 'certificatePem'>;
  /** Milliseconds to wait for the IdP's metadata. Default 20 s. */
  readyTimeoutMs?: number;
  /** Keep the scratch folder after stop() (to read the logs). Default false. */
  keepDir?: boolean;
}

/**
 * A real SimpleSAMLphp 1.19 IdP (Debian's `simplesamlphp`) under PHP's built-in web server, on a
 * free loopback port, configured in a fresh scratch folder for one SP: user jane / jane-pass,
 * OID attributes (NameFormat uri), transient NameID, Response and Assertion both signed by
 * RSA-SHA256 with the platform's shared key pair (`keys`: the app's service.key + service.cert),
 * and the SP's AuthnRequests checked against the same certificate.
 */
export async function startSimpleSamlPhp(options: SimpleSamlPhpOptions): Promise<SimpleSamlPhpIdp> {
  checkInstalled();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'mk-simplesamlphp-'));
  try {
    writeConfig(dir, options);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let output = '';
  const server = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WWW], {
    cwd: dir,
    // Its own process group: stop() signals the group, so no PHP process outlives the test.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serverEnv(dir),
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  server.once('error', (error) => {
    spawnError = error;
  });

  const diagnostics = () => {
    const log = join(dir, 'log', 'simplesamlphp.log');
    const logText = existsSync(log) ? readFileSync(log, 'utf8').slice(-32 * 1024) : '(no SimpleSAMLphp log)';
    // Not the server's connection bookkeeping: requests, their status, and PHP's own messages.
    const requests = output.split('\n').filter((line) => !/ (Accepted|Closing)$/.test(line)).join('\n');
    return `--- php -S output ---\n${requests}\n--- SimpleSAMLphp log ---\n${logText}`;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopGroup(server, exited);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const { entityId, ssoUrl } = await waitForMetadata(`${url}/saml2/idp/metadata.php`, options.readyTimeoutMs ?? 20_000, () => {
      if (spawnError) return `php could not be started: ${spawnError.message}`;
      if (server.exitCode !== null || server.signalCode !== null) return `php -S exited (${server.exitCode ?? server.signalCode})`;
      return undefined;
    });
    return { entityId, ssoUrl, url, dir, diagnostics, stop };
  } catch (error) {
    const report = diagnostics();
    await stop();
    throw new Error(`SimpleSAMLphp at ${url} did not come up: ${(error as Error).message}\n${report}`);
  }
}

/** The server's environment: SimpleSAMLphp reads its config folder from SIMPLESAMLPHP_CONFIG_DIR. */
function serverEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') };
  // One server process, not a parent forking workers (PHP_CLI_SERVER_WORKERS) that would share the session files.
  delete env.PHP_CLI_SERVER_WORKERS;
  return env;
}

/** php, the extensions SimpleSAMLphp needs, and SimpleSAMLphp itself; says what to install when missing. */
function checkInstalled(): void {
  const install = 'install the Debian packages php-cli, php-xml (php8.2-xml) and simplesamlphp: apt-get install php-cli php-xml simplesamlphp';
  const php = spawnSync('php', ['-r', 'echo implode(",", array_map("strtolower", get_loaded_extensions()));'], { encoding: 'utf8' });
  if (php.error || php.status !== 0) {
    throw new Error(`the SimpleSAMLphp e2e test needs PHP's command line (php): ${php.error?.message ?? php.stderr}; ${install}`);
  }
  const loaded = new Set(php.stdout.split(','));
  const missing = ['dom', 'openssl', 'xml', 'simplexml', 'session'].filter((extension) => !loaded.has(extension));
  if (missing.length > 0) throw new Error(`PHP lacks the extension(s) ${missing.join(', ')} that SimpleSAMLphp needs; ${install}`);
  if (!existsSync(join(WWW, 'saml2', 'idp', 'SSOService.php'))) {
    throw new Error(`SimpleSAMLphp is not installed (no ${WWW}/saml2/idp/SSOService.php); ${install}`);
  }
}

/** config/config.php, config/authsources.php, metadata/saml20-idp-hosted.php and metadata/saml20-sp-remote.php. */
function writeConfig(dir: string, options: SimpleSamlPhpOptions): void {
  const path = (...parts: string[]) => join(dir, ...parts);
  for (const sub of ['config', 'metadata', 'cert', 'log', 'data', 'tmp', 'sessions']) mkdirSync(path(sub), { recursive: true });
  writeFileSync(path('cert', 'service.key'), options.keys.privatePem);
  writeFileSync(path('cert', 'service.cert'), options.keys.certificatePem);

  const config = {
    baseurlpath: '/',
    certdir: path('cert') + '/',
    loggingdir: path('log') + '/',
    datadir: path('data') + '/',
    tempdir: path('tmp'),
    metadatadir: path('metadata') + '/',
    'metadata.sources': [{ type: 'flatfile', directory: path('metadata') + '/' }],
    technicalcontact_name: 'microkubes-nestjs tests',
    technicalcontact_email: 'tests@example.com',
    secretsalt: randomBytes(24).toString('hex'),
    'auth.adminpassword': randomBytes(18).toString('hex'),
    'admin.protectindexpage': false,
    'admin.protectmetadata': false,
    'admin.checkforupdates': false,
    timezone: 'UTC',
    'enable.saml20-idp': true,
    'enable.shib13-idp': false,
    'enable.adfs-idp': false,
    'module.enable': { exampleauth: true, core: true, saml: true, admin: true },
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'debug': { saml: true, backtraces: true, validatexml: false },
    showerrors: true,
    errorreporting: false,
    // Not the pre-production banner on the login page.
    production: true,
    'store.type': 'phpsession',
    'session.phpsession.savepath': path('sessions'),
    'session.cookie.secure': false,
    // SimpleSAMLphp defaults to SameSite=None, which browsers drop on a cookie that is not Secure.
    'session.cookie.samesite': 'Lax',
    'session.cookie.path': '/',
    'language.cookie.secure': false,
    'language.cookie.samesite': 'Lax',
    'template.auto_reload': false,
    'template.cache': path('tmp', 'twig'),
    'trusted.url.domains': [],
  };
  writeFileSync(
    path('config', 'config.php'),
    // The log level is a PHP constant, not a literal.
    `<?php\n$config = ${php(config)};\n$config['logging.level'] = \\SimpleSAML\\Logger::DEBUG;\n`,
  );

  const user = SIMPLESAMLPHP_USER;
  const authsources = {
    admin: ['core:AdminPassword'],
    'example-userpass': {
      0: 'exampleauth:UserPass',
      [`${user.username}:${user.password}`]: {
        [SAML_ATTRIBUTES.userId[0]]: [user.uid],
        [SAML_ATTRIBUTES.username[0]]: [user.eduPersonPrincipalName],
        [SAML_ATTRIBUTES.roles[0]]: [...user.eduPersonAffiliation],
      },
    },
  };
  writeFileSync(path('config', 'authsources.php'), `<?php\n$config = ${php(authsources)};\n`);

  const signing = {
    'saml20.sign.response': true,
    'saml20.sign.assertion': true,
    'signature.algorithm': RSA_SHA256,
    'attributes.NameFormat': URI_NAME_FORMAT,
    NameIDFormat: TRANSIENT,
  };
  const idpHosted = {
    // Set '__DYNAMIC:1__', the entity id is derived from the URL (http://127.0.0.1:<port>/saml2/idp/metadata.php);
    // a set named '__DEFAULT__' would be the entity id '__DEFAULT__' itself.
    host: '__DEFAULT__',
    privatekey: 'service.key',
    certificate: 'service.cert',
    auth: 'example-userpass',
    'validate.authnrequest': true,
    ...signing,
  };
  writeFileSync(path('metadata', 'saml20-idp-hosted.php'), `<?php\n$metadata['__DYNAMIC:1__'] = ${php(idpHosted)};\n`);

  const spRemote = {
    AssertionConsumerService: [{ Binding: HTTP_POST, Location: options.acsUrl, index: 0 }],
    // The platform shares one key pair: the SP signs its AuthnRequests with service.key.
    certificate: 'service.cert',
    'validate.authnrequest': true,
    ...signing,
  };
  writeFileSync(path('metadata', 'saml20-sp-remote.php'), `<?php\n$metadata[${php(options.spEntityId)}] = ${php(spRemote)};\n`);
}

/** A PHP literal of a JSON-like value. */
function php(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(php).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => {
    const literal = /^(0|[1-9]\d*)$/.test(key) ? key : php(key);
    return `${literal} => ${php(item)}`;
  });
  return `[\n${entries.join(',\n')}\n]`;
}

/**
 * Polls until the metadata is an EntityDescriptor with an entity id and an HTTP-Redirect SSO
 * service. Not until the body merely names one: SimpleSAMLphp's error page (HTTP 200, e.g. with
 * php-xml missing) mentions EntityDescriptor in its backtrace. The error says what was last seen.
 */
async function waitForMetadata(
  url: string,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<{ entityId: string; ssoUrl: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason) throw new Error(`${reason}; last: ${last}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      const metadata = response.ok && body.includes('EntityDescriptor') ? readIdpMetadata(body) : undefined;
      if (metadata) return metadata;
      last = `HTTP ${response.status} ${response.headers.get('content-type') ?? ''}: ${textOf(body).slice(0, 1_500)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`its metadata (${url}) was no EntityDescriptor within ${timeoutMs} ms; last: ${last}`);
}

/** The IdP's entity id and HTTP-Redirect SSO URL, or undefined when the body is not such metadata. */
function readIdpMetadata(xml: string): { entityId: string; ssoUrl: string } | undefined {
  let document: Document;
  try {
    const quiet = { warning: () => {}, error: () => {}, fatalError: () => {} };
    document = new DOMParser({ errorHandler: quiet }).parseFromString(xml, 'text/xml') as unknown as Document;
  } catch {
    return undefined;
  }
  const descriptor = document?.documentElement;
  if (!descriptor || descriptor.namespaceURI !== METADATA_NS || descriptor.localName !== 'EntityDescriptor') return undefined;
  const entityId = descriptor.getAttribute('entityID');
  const sso = Array.from(descriptor.getElementsByTagNameNS(METADATA_NS, 'SingleSignOnService')).find(
    (service) => service.getAttribute('Binding') === HTTP_REDIRECT,
  );
  const ssoUrl = sso?.getAttribute('Location');
  return entityId && ssoUrl ? { entityId, ssoUrl } : undefined;
}

/** An HTML error page as text. */
function textOf(body: string): string {
  return body
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** SIGTERM to the server's process group, SIGKILL if it lingers. */
async function stopGroup(server: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = server.pid;
  if (pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 3_000))]);
  // Workers may outlive the parent: the group gets SIGKILL either way once the parent is gone or stuck.
  signal('SIGKILL');
  if (timedOut) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  server.stdout?.destroy();
  server.stderr?.destroy();
}
