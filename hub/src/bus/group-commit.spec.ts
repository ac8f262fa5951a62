import { groupCommit, type Outcome } from './group-commit';

const tick = () => new Promise((r) => setImmediate(r));

describe('groupCommit', () => {
  it('flushes what arrived in one tick together, and what arrives during a flush in the next one', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handle = groupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map(() => undefined);
    });
    const first = [1, 2, 3].map(handle);
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map(handle);
    await tick();
    expect(batches).toHaveLength(1); // the first flush is still running
    release();
    await Promise.all([...first, ...second]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('settles each item with its own outcome, and fails the whole batch when the flush throws', async () => {
    const handle = groupCommit<number>(async (items) => items.map((i): Outcome => (i % 2 ? new Error(`odd ${i}`) : undefined)));
    const settled = await Promise.allSettled([1, 2, 3, 4].map(handle));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason.message).toBe('odd 1');

    const broken = groupCommit<number>(async () => {
      throw new Error('database down');
    });
    const all = await Promise.allSettled([1, 2].map(broken));
    expect(all.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'ok'))).toEqual(['database down', 'database down']);
    // After a failed flush the handler still works.
    const ok = groupCommit<number>(async (items) => items.map(() => undefined));
    await expect(ok(1)).resolves.toBeUndefined();
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const handle = groupCommit<number>(
      async (items) => {
        sizes.push(items.length);
        return items.map(() => undefined);
      },
      { maxBatch: 4 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => handle(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});
