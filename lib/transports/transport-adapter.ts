import type { ExecutionContext } from '@nestjs/common';
import type { AccessTarget } from '../acl/access-target.js';
import type { Credentials } from '../security/credentials.js';
import type { Refusal } from '../security/refusal.js';
import type { TokenRefusal } from '../security/token-refusal.js';
import type { TelemetryTransport } from '../telemetry/telemetry-names.js';

export type { AccessTarget, Credentials, Refusal };

/**
 * One transport, as the guards see it: where a call's credentials are, what it reaches, and how
 * it is refused in that transport's own terms (an HTTP status, a GraphQL error, a WebSocket
 * exception). Where its caller is kept is call-callers.ts'. The guards, the security chain and
 * the policies know nothing else of it.
 */
export interface TransportAdapter {
  /** What telemetry calls this transport. */
  readonly label: TelemetryTransport;
  /** What the caller presents; a refusal when what it presents is malformed or ambiguous. */
  credentials(context: ExecutionContext): Credentials | TokenRefusal;
  /** The `x-request-id` the call came with, as it came (unchecked); undefined when none. */
  requestId(context: ExecutionContext): unknown;
  /** Whether the call passes without a caller (HTTP: public routes and ignored methods). */
  passesUnauthenticated(context: ExecutionContext): boolean;
  target(context: ExecutionContext): AccessTarget;
  /** An object that stands for this one call, for work done once per call; undefined when none does. */
  callKey(context: ExecutionContext): object | undefined;
  /** Throws the transport's own error; HTTP may send a browser to the SAML IdP instead. */
  refuse(context: ExecutionContext, refusal: Refusal): Promise<never>;
}
