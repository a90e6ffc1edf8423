import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Auth, ConnectionAuthenticator, MicrokubesAuthenticator } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/config/resolved-options.js';

const authOf = (claims: Record<string, unknown>, strategy: 'jwt' | 'oauth2' = 'jwt') =>
  new Auth({ userId: 'u', username: 'u@example.com', roles: [], organizations: [], namespaces: [], scopes: [], strategy, claims });

describe('ConnectionAuthenticator.untilExpiry', () => {
  const connections = new ConnectionAuthenticator(new MicrokubesAuthenticator([]), resolveOptions({ security: { jwt: { clockTolerance: 5 }, oauth2: {} } }));
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000_000_000 }));
  afterEach(() => vi.useRealTimers());
  const now = () => Math.floor(Date.now() / 1000);

  it('ends the connection at exp plus the clock tolerance of its strategy', () => {
    const jwt = vi.fn();
    const oauth2 = vi.fn();
    connections.untilExpiry(authOf({ exp: now() + 10 }), jwt);
    connections.untilExpiry(authOf({ exp: now() + 10 }, 'oauth2'), oauth2);
    vi.advanceTimersByTime(9_999);
    expect([jwt.mock.calls.length, oauth2.mock.calls.length]).toEqual([0, 0]);
    vi.advanceTimersByTime(1);
    expect([jwt.mock.calls.length, oauth2.mock.calls.length]).toEqual([0, 1]);
    vi.advanceTimersByTime(5_000);
    expect(jwt).toHaveBeenCalledTimes(1);
  });

  it('waits for an expiry beyond setTimeout’s 24.8 days in steps, and never ends early', () => {
    const onExpiry = vi.fn();
    connections.untilExpiry(authOf({ exp: now() + 30 * 86_400 }, 'oauth2'), onExpiry);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(onExpiry).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * 86_400_000 - (2 ** 31 - 1));
    expect(onExpiry).toHaveBeenCalledTimes(1);
  });

  it('ends an already expired connection on the next tick, not during the call', () => {
    const onExpiry = vi.fn();
    connections.untilExpiry(authOf({ exp: now() - 60 }), onExpiry);
    expect(onExpiry).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(onExpiry).toHaveBeenCalledTimes(1);
  });

  it('is cancelled when the connection closes first, and never fires for a token without exp', () => {
    const onExpiry = vi.fn();
    const cancel = connections.untilExpiry(authOf({ exp: now() + 1 }), onExpiry);
    cancel();
    connections.untilExpiry(authOf({}), onExpiry);
    vi.advanceTimersByTime(10_000);
    expect(onExpiry).not.toHaveBeenCalled();
  });
});
