import { describe, expect, it } from 'vitest';
import { MemoryRequestIdStore } from '../../../lib/saml/memory-request-id.store.js';

describe('MemoryRequestIdStore', () => {
  it('keeps an id until its TTL and hands it out once', async () => {
    const store = new MemoryRequestIdStore();
    await store.save('_a', 'instant', 60_000);
    expect(await store.get('_a')).toBe('instant');
    expect(await Promise.all([store.take('_a'), store.take('_a')])).toEqual([true, false]);
    expect(await store.get('_a')).toBeNull();
    await store.save('_b', 'instant', 20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await store.get('_b')).toBeNull();
    expect(await store.take('_b')).toBe(false);
  });

  it('stays bounded under a flood of logins, dropping the oldest', async () => {
    const store = new MemoryRequestIdStore(1_000);
    for (let i = 0; i < 5_000; i++) await store.save(`_${i}`, 'x', 60_000);
    expect(await store.get('_0')).toBeNull();
    expect(await store.get('_4999')).toBe('x');
  });
});
