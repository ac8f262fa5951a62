import { KvConflictError, MemoryKeyValueStore, testSealer } from './runtime';

describe('MemoryKeyValueStore (the testkit’s store)', () => {
  it('applies 20 concurrent updates one after another', async () => {
    const store = new MemoryKeyValueStore();
    // Each fn yields before returning, so the updates interleave and most must retry.
    const bump = (n: number | undefined) => new Promise<number>((r) => setImmediate(() => r((n ?? 0) + 1)));
    await Promise.all(Array.from({ length: 20 }, () => store.update<number>('counter', bump)));
    expect(await store.get('counter')).toBe(20);
  });

  it('writes nothing when fn returns what it was given, deletes on undefined', async () => {
    const store = new MemoryKeyValueStore();
    await store.set('token', { access: 'a1' });
    const before = store.data.get('token');
    const same = await store.update<{ access: string }>('token', (cur) => cur);
    expect(same).toEqual({ access: 'a1' });
    expect(store.data.get('token')).toBe(before);
    await store.update('token', () => undefined);
    expect(await store.get('token')).toBeUndefined();
  });

  it('gives up with a conflict error when another writer always wins', async () => {
    const store = new MemoryKeyValueStore();
    let n = 0;
    const p = store.update<number>(
      'k',
      async () => {
        await store.set('k', ++n); // someone else writes between our read and our write
        return -1;
      },
      { maxAttempts: 3 },
    );
    await expect(p).rejects.toBeInstanceOf(KvConflictError);
    expect(await store.get('k')).toBe(3);
  });

  it('keeps sealed values only sealed, and opens them on read', async () => {
    const store = new MemoryKeyValueStore();
    await store.set('oauth', { refreshToken: 'rt_very_secret_1' }, { sealed: true });
    const raw = store.data.get('oauth')!;
    expect(raw.sealed).toBe(true);
    expect(raw.value).not.toContain('rt_very_secret_1');
    expect(testSealer.open(raw.value)).toContain('rt_very_secret_1');
    expect(await store.get('oauth')).toEqual({ refreshToken: 'rt_very_secret_1' });
    const rotated = await store.update<{ refreshToken: string }>('oauth', () => ({ refreshToken: 'rt_very_secret_2' }), { sealed: true });
    expect(rotated).toEqual({ refreshToken: 'rt_very_secret_2' });
    expect(store.data.get('oauth')!.value).not.toContain('rt_very_secret_2');
  });

  it('treats an expired value as absent in update', async () => {
    let now = 1_000_000;
    const store = new MemoryKeyValueStore(() => now);
    await store.set('t', 'old', { ttlSeconds: 10 });
    now += 11_000;
    const seen: unknown[] = [];
    await store.update('t', (cur) => (seen.push(cur), 'new'));
    expect(seen).toEqual([undefined]);
    expect(await store.get('t')).toBe('new');
  });
});
