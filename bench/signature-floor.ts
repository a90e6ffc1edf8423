import { verify, type KeyObject } from 'node:crypto';

/**
 * RS512 verifications per second of `token` with `publicKey`, on one core, for 2 s: the physical
 * floor of any request or message that verifies its token.
 */
export function signatureFloor(token: string, publicKey: KeyObject): number {
  const [header, payload, signature] = token.split('.');
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature!, 'base64url');
  const started = process.hrtime.bigint();
  let count = 0;
  while (process.hrtime.bigint() - started < 2_000_000_000n) {
    if (!verify('sha512', data, publicKey, sig)) throw new Error('the floor token does not verify');
    count++;
  }
  return count / 2;
}
