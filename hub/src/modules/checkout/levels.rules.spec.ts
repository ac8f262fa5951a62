import fc from 'fast-check';
import type { Level, LevelPolicy } from '../programs/programs.schemas';
import { levelAfterCommit, levelFor, levelWindowStart, nextLevelAfterDowngradeCheck } from './levels.rules';

const NOW = new Date('2026-06-15T12:00:00Z');

describe('levels', () => {
  const levels: Level[] = [
    { code: 'base', name: 'Base', threshold: 0 },
    { code: 'silver', name: 'Silver', threshold: 1_000_000 },
    { code: 'gold', name: 'Gold', threshold: 5_000_000 },
  ];
  const spend: LevelPolicy = { metric: 'spend', window: 'all_time', downgrade: 'never' };
  const visitsRolling: LevelPolicy = { metric: 'visits', window: { days: 90 }, downgrade: 'periodic' };

  it('finds the highest level whose threshold the metric reached', () => {
    expect(levelFor(levels, spend, { spendMinor: 0, visits: 0 })).toBe('base');
    expect(levelFor(levels, spend, { spendMinor: 999_999, visits: 0 })).toBe('base');
    expect(levelFor(levels, spend, { spendMinor: 1_000_000, visits: 0 })).toBe('silver');
    expect(levelFor(levels, spend, { spendMinor: 9e9, visits: 0 })).toBe('gold');
    expect(levelFor(levels, { ...spend, metric: 'visits' }, { spendMinor: 9e9, visits: 3 })).toBe('base');
    expect(levelFor([], spend, { spendMinor: 9e9, visits: 3 })).toBeNull();
  });

  it('moves up at commit but never down', () => {
    expect(levelAfterCommit(levels, spend, 'base', { spendMinor: 1_200_000, visits: 1 })).toEqual({ from: 'base', to: 'silver', direction: 'up' });
    expect(levelAfterCommit(levels, spend, 'gold', { spendMinor: 10, visits: 1 })).toEqual({ from: 'gold', to: 'gold', direction: 'same' });
    expect(levelAfterCommit(levels, spend, null, { spendMinor: 10, visits: 1 })).toEqual({ from: null, to: 'base', direction: 'up' });
    expect(levelAfterCommit(levels, spend, 'deleted-level', { spendMinor: 10, visits: 1 })).toMatchObject({ to: 'base' });
  });

  it('moves down at the periodic check only with a periodic policy', () => {
    const stats = { spendMinor: 0, visits: 12 };
    const lv: Level[] = [
      { code: 'base', name: 'Base', threshold: 0 },
      { code: 'regular', name: 'Regular', threshold: 10 },
      { code: 'vip', name: 'VIP', threshold: 30 },
    ];
    expect(nextLevelAfterDowngradeCheck(lv, visitsRolling, 'vip', stats)).toEqual({ from: 'vip', to: 'regular', direction: 'down' });
    expect(nextLevelAfterDowngradeCheck(lv, { ...visitsRolling, downgrade: 'never' }, 'vip', stats)).toEqual({ from: 'vip', to: 'vip', direction: 'same' });
    expect(nextLevelAfterDowngradeCheck(lv, visitsRolling, 'base', stats)).toEqual({ from: 'base', to: 'regular', direction: 'up' });
  });

  it('gives the start of a rolling window', () => {
    expect(levelWindowStart(spend, NOW)).toBeNull();
    expect(levelWindowStart(visitsRolling, NOW)).toEqual(new Date(NOW.getTime() - 90 * 86_400_000));
  });

  it('a commit never lowers a level and the reached level is never above the stats', () => {
    fc.assert(
      fc.property(fc.constantFrom(null, 'base', 'silver', 'gold'), fc.integer({ min: 0, max: 10_000_000 }), (current, spendMinor) => {
        const rank = (c: string | null) => (c === null ? -1 : levels.findIndex((l) => l.code === c));
        const after = levelAfterCommit(levels, spend, current, { spendMinor, visits: 0 });
        expect(rank(after.to)).toBeGreaterThanOrEqual(rank(current));
        const periodic = nextLevelAfterDowngradeCheck(levels, { ...spend, downgrade: 'periodic' }, current, { spendMinor, visits: 0 });
        expect(levels.find((l) => l.code === periodic.to)!.threshold).toBeLessThanOrEqual(spendMinor);
      }),
      { numRuns: 200 },
    );
  });
});
