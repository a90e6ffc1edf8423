import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { basename, extname } from 'node:path';

export type KeyKind = 'public' | 'private' | 'certificate';

/** One parsed key file. `key` is the public key of a certificate, the key itself otherwise. */
export interface StoredKey {
  readonly name: string;
  readonly kind: KeyKind;
  readonly file: string;
  readonly key: KeyObject;
  readonly certificate?: X509Certificate;
}

/** A key file that exists but cannot be used. Start-up fails with it; a reload logs it. */
export class KeyFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    /** What `file` is, as the message names it. */
    what = 'Key file',
  ) {
    super(`${what} ${file}: ${problem}`);
    this.name = 'KeyFileError';
  }
}

/**
 * The platform's naming rules for a keys directory: `NAME.pub` is the public key NAME; `*.pem`,
 * `*.key` or no extension a private key (the key store skips an extensionless file that holds no
 * PEM, such as another Docker secret); `*.cert`/`*.crt` a certificate; anything else, and hidden
 * files such as Kubernetes' `..data`, is not a key.
 */
export function classifyKeyFile(fileName: string): { name: string; kind: KeyKind } | undefined {
  if (fileName.startsWith('.')) return undefined;
  const extension = extname(fileName).toLowerCase();
  const stem = basename(fileName, extname(fileName));
  switch (extension) {
    case '.pub':
      return { name: stem, kind: 'public' };
    case '':
      return { name: fileName, kind: 'private' };
    case '.pem':
    case '.key':
      return { name: fileName, kind: 'private' };
    case '.cert':
    case '.crt':
      return { name: fileName, kind: 'certificate' };
    default:
      return undefined;
  }
}

/** The kind of key a PEM holds, from its label; for keys given by explicit file path. */
export function kindOfPem(pem: string, file: string): KeyKind {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (label === 'CERTIFICATE') return 'certificate';
  if (label?.endsWith('PRIVATE KEY')) return 'private';
  if (label?.endsWith('PUBLIC KEY')) return 'public';
  throw new KeyFileError(file, 'holds no PEM key or certificate');
}

/** Parses PEM (PKCS#1, PKCS#8, SPKI or X.509) into a KeyObject, once. */
export function parseKeyFile(pem: string, name: string, kind: KeyKind, file: string): StoredKey {
  if (pem.trim() === '') throw new KeyFileError(file, 'is empty');
  try {
    switch (kind) {
      case 'public':
        return { name, kind, file, key: createPublicKey(pem) };
      case 'private':
        return { name, kind, file, key: createPrivateKey(pem) };
      case 'certificate': {
        const certificate = new X509Certificate(pem);
        return { name, kind, file, key: certificate.publicKey, certificate };
      }
    }
  } catch (error) {
    throw new KeyFileError(file, `cannot be parsed as a ${kind} key: ${(error as Error).message}`);
  }
}
