import { randomUUID } from 'node:crypto';

/** What an incoming request id may be to be forwarded as it is: visible ASCII, at most 200 characters. */
const FORWARDABLE = /^[\x21-\x7e]{1,200}$/;

/**
 * The request id to forward for a call that came with `incoming` (its `x-request-id`): that one
 * when it is a plain id, else a new UUID (an id of a caller's choosing is forwarded into other
 * services' logs, so no spaces, control characters or kilobytes of it are).
 */
export function requestIdFor(incoming: unknown): string {
  return typeof incoming === 'string' && FORWARDABLE.test(incoming) ? incoming : randomUUID();
}
