import fc from 'fast-check';
import { allocateFifo, expireLots, spendingOrder, usablePoints, type FifoResult, type PointLot } from './ledger.rules';

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
