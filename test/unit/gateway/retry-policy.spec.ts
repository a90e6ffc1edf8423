import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetries } from '../../../lib/gateway/retry-policy.js';

const settings = { attempts: 5, initialDelay: 100, maxDelay: 1_000 };

describe('backoffDelay', () => {
  it('doubles its ceiling at each retry, up to maxDelay, with full jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, settings, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(200);
  });
});

describe('withRetries', () => {
  const fast = { attempts: 4, initialDelay: 1, maxDelay: 2 };

  it('returns the first success', async () => {
    let calls = 0;
    const result = await withRetries(async () => (++calls < 3 ? Promise.reject(new Error('down')) : 'up'), () => true, fast, Date.now() + 5_000);
    expect(result).toBe('up');
    expect(calls).toBe(3);
  });

  it('stops at once on an error that is not worth retrying', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error('400'); }, () => false, fast, Date.now() + 5_000)).rejects.toThrow('400');
    expect(calls).toBe(1);
  });

  it('stops after the attempts, with the last error', async () => {
    let calls = 0;
    await expect(withRetries(async () => { throw new Error(`down ${++calls}`); }, () => true, fast, Date.now() + 5_000)).rejects.toThrow('down 4');
  });

  it('stops when the next wait would pass the deadline', async () => {
    let calls = 0;
    const started = Date.now();
    // Every wait is the full 50 ms: after 4 calls the next wait would end past the 200 ms deadline.
    await expect(
      withRetries(async () => { calls++; throw new Error('down'); }, () => true, { attempts: 100, initialDelay: 50, maxDelay: 50 }, started + 200, undefined, () => 1),
    ).rejects.toThrow('down');
    expect(Date.now() - started).toBeLessThan(400);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(4);
  });
});
