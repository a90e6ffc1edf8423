import { AsyncLocalStorage } from 'node:async_hooks';
import type { Auth } from '../auth/auth.js';

/** The call being handled (an HTTP request, a GraphQL operation, a gateway message, an RPC message), as outgoing calls need it. */
export interface CurrentCall {
  /** Its caller, when a guard authenticated one. */
  readonly auth?: Auth;
  /** The request id it came with, or one made for it: forwarded as `x-request-id`. */
  readonly requestId: string;
}

/** Kept across the handler's async work (awaits, timers, streams), not passed by hand. */
const calls = new AsyncLocalStorage<CurrentCall>();

export function currentCall(): CurrentCall | undefined {
  return calls.getStore();
}

/** Runs `work` as part of `call`: what it calls, sync or async, finds `call` with currentCall(). */
export function runInCall<T>(call: CurrentCall, work: () => T): T {
  return calls.run(call, work);
}

/**
 * Runs `work` outside any call: what it sets up (a pooled connection, a long-lived timer) and
 * every callback of it then finds no caller, rather than the caller it happened to be set up in.
 */
export function outsideAnyCall<T>(work: () => T): T {
  return calls.exit(work);
}
