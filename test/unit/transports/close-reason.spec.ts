import { describe, expect, it } from 'vitest';
import { closeReason } from '../../../lib/transports/close-reason.js';

describe('closeReason: a refusal as a WebSocket close reason', () => {
  it('keeps a short ASCII message as it is', () => {
    expect(closeReason('token expired')).toBe('token expired');
  });

  it('fits any message in the 123 bytes a close frame holds, whatever its characters', () => {
    const roles = `missing role: ${'Ärzteschaft-'.repeat(20)}`;
    const reason = closeReason(roles);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).toMatch(/^[\x20-\x7e]+$/);
    expect(Buffer.byteLength(closeReason('x'.repeat(500)))).toBe(123);
  });

  it('replaces control characters', () => {
    expect(closeReason('a\r\nb\u0000')).toBe('a??b?');
  });
});
