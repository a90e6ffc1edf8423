/** The longest reason a WebSocket close frame carries: 123 bytes (RFC 6455 5.5: 125, less the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * A refusal's message as a close frame's reason: printable ASCII only (a role name of the app's
 * may hold anything), so that characters are bytes, cut to what the frame holds. `ws` throws on
 * a longer reason, which would leave the connection open.
 */
export function closeReason(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_CLOSE_REASON_BYTES);
}
