import fc from 'fast-check';
import type { Level, LevelPolicy } from '../programs/programs.schemas';
import {
  allocateFifo,
  expireLots,
  levelAfterCommit,
  levelFor,
  levelWindowStart,
  nextLevelAfterDowngradeCheck,
  spendingOrder,
  usablePoints,
  type FifoResult,
  type PointLot,
} from './ledger.rules';

const NOW = new Date('2026-06-15T12:00:00Z');
const d = (iso: string) => new Date(iso);
const lot = (id: string, remaining: number, expiresAt: string | null, availableAt = '2026-01-01T00:00:00Z'): PointLot => ({
  id,
  remaining,
  expiresAt: expiresAt === null ? null : d(expiresAt),
  availableAt: d(availableAt),
});
function allocations(r: FifoResult) {
  if (!r.ok) throw new Error(`refused ${r.code}`);
  return r.allocations;
}

describe('point lots', () => {
  const lots = [
    lot('never', 100, null),
    lot('late', 50, '2026-12-31T00:00:00Z'),
    lot('soon', 30, '2026-07-01T00:00:00Z'),
    lot('pending', 500, '2026-06-20T00:00:00Z', '2026-06-20T00:00:00Z'),
    lot('expired', 70, '2026-06-15T12:00:00Z'),
    lot('empty', 0, '2026-06-16T00:00:00Z'),
  ];

  it('spends the soonest-expiring usable lots first, never-expiring last', () => {
    expect(spendingOrder(lots, NOW).map((l) => l.id)).toEqual(['soon', 'late', 'never']);
    expect(allocations(allocateFifo(lots, 60, NOW))).toEqual([
      { lotId: 'soon', points: 30 },
      { lotId: 'late', points: 30 },
    ]);
    expect(allocations(allocateFifo(lots, 180, NOW))).toEqual([
      { lotId: 'soon', points: 30 },
      { lotId: 'late', points: 50 },
      { lotId: 'never', points: 100 },
    ]);
    expect(allocations(allocateFifo(lots, 0, NOW))).toEqual([]);
  });

  it('breaks expiry ties by the oldest lot, then by input order', () => {
    const tie = [lot('b', 5, null, '2026-03-01T00:00:00Z'), lot('a', 5, null, '2026-02-01T00:00:00Z'), lot('c', 5, null, '2026-02-01T00:00:00Z')];
    expect(spendingOrder(tie, NOW).map((l) => l.id)).toEqual(['a', 'c', 'b']);
  });

  it('counts only usable points and refuses to spend more', () => {
    expect(usablePoints(lots, NOW)).toBe(180);
    expect(allocateFifo(lots, 181, NOW)).toMatchObject({ ok: false, code: 'insufficient_points', details: { requested: 181, pointsAvailable: 180 } });
    expect(allocateFifo(lots, 1.5, NOW)).toMatchObject({ ok: false, code: 'invalid_amount' });
    expect(allocateFifo(lots, -1, NOW)).toMatchObject({ ok: false, code: 'invalid_amount' });
    expect(allocateFifo([lot('x', -3, null)], 1, NOW)).toMatchObject({ ok: false, code: 'invalid_amount', details: { lotId: 'x' } });
  });

  it('expires the remainder of lots whose expiry has come', () => {
    expect(expireLots(lots, NOW)).toEqual([{ lotId: 'expired', points: 70 }]);
    expect(expireLots(lots, d('2026-07-01T00:00:00Z')).map((e) => e.lotId)).toEqual(['soon', 'pending', 'expired']);
  });

  it('FIFO allocations sum exactly, stay within usable lots and respect the order', () => {
    const lotArb = fc.record({
      id: fc.uuid(),
      remaining: fc.integer({ min: 0, max: 1000 }),
      expiresAt: fc.option(
        fc.integer({ min: -30, max: 30 }).map((days) => new Date(NOW.getTime() + days * 86_400_000)),
        { nil: null },
      ),
      availableAt: fc.integer({ min: -60, max: 5 }).map((days) => new Date(NOW.getTime() + days * 86_400_000)),
    });
    fc.assert(
      fc.property(fc.uniqueArray(lotArb, { selector: (l) => l.id, maxLength: 12 }), fc.double({ min: 0, max: 1.2, noNaN: true }), (ls, f) => {
        const usable = usablePoints(ls, NOW);
        const points = Math.floor(usable * f);
        const r = allocateFifo(ls, points, NOW);
        if (points > usable) {
          expect(r).toMatchObject({ ok: false, code: 'insufficient_points' });
          return;
        }
        const got = allocations(r);
        expect(got.reduce((s, a) => s + a.points, 0)).toBe(points);
        const order = spendingOrder(ls, NOW);
        got.forEach((a, i) => {
          const l = ls.find((x) => x.id === a.lotId)!;
          expect(a.points).toBeGreaterThan(0);
          expect(a.points).toBeLessThanOrEqual(l.remaining);
          expect(l.availableAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
          if (l.expiresAt) expect(l.expiresAt.getTime()).toBeGreaterThan(NOW.getTime());
          // The i-th allocation is the i-th lot in spending order; every lot before the last is used up.
          expect(a.lotId).toBe(order[i].id);
          if (i < got.length - 1) expect(a.points).toBe(l.remaining);
        });
        for (let i = 1; i < order.length; i++) {
          const a = order[i - 1].expiresAt?.getTime() ?? Infinity;
          const b = order[i].expiresAt?.getTime() ?? Infinity;
          expect(a).toBeLessThanOrEqual(b);
        }
      }),
      { numRuns: 200 },
    );
  });
});

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
