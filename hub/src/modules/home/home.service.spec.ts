import { HomeService, NOT_BACK_TTL_MS, type HomeDeps } from './home.service';

/** Home with stub modules: what matters here is how often the "not back for 30 days" count is run. */
function homeWith(counts: number[]) {
  const calls: Record<string, number> = { notBack: 0 };
  const totals = { sales: 0, cardSales: 0, firstPurchases: 0, revenueMinor: 0, cardRevenueMinor: 0, newGuests: 0 };
  const deps = {
    tenants: { getBusiness: async () => ({ timezone: 'Europe/Moscow', currency: 'RUB' }) },
    programs: { list: async () => [] },
    analytics: { dashboard: async () => ({ totals, kpis: { averageCheckMinor: 0, liabilityPoints: 0 } }) },
    wallet: { installsBetween: async () => 0 },
    guests: {
      count: async (_ctx: unknown, q: { notBackDays?: number }) => {
        if (q.notBackDays !== 30) return 0;
        return counts[Math.min(calls.notBack++, counts.length - 1)]!;
      },
    },
  } as unknown as HomeDeps;
  let now = Date.parse('2026-12-08T09:00:00Z');
  const home = new HomeService(deps, () => now);
  return { home, calls, advance: (ms: number) => (now += ms), at: () => new Date(now) };
}

const ctx = { businessId: 'b1', actor: { type: 'system' as const, id: 't' } };
const settle = () => new Promise((r) => setImmediate(r));

describe('Home: the "not back for 30 days" count', () => {
  it('is counted once, reused within the TTL, recounted in the background after it, and at once on a new day', async () => {
    const h = homeWith([5, 7, 9]);
    const first = await h.home.figures(ctx, h.at());
    expect(first.notBack30Days).toBe(5);
    expect(first.notBack30DaysAsOf).toBe('2026-12-08T09:00:00.000Z');
    h.advance(60_000);
    expect((await h.home.figures(ctx, h.at())).notBack30Days).toBe(5);
    expect(h.calls.notBack).toBe(1);

    // Past the TTL: the old count answers once more while the recount runs; the next call has it.
    h.advance(NOT_BACK_TTL_MS);
    const stale = await h.home.figures(ctx, h.at());
    expect(stale.notBack30Days).toBe(5);
    await settle();
    const fresh = await h.home.figures(ctx, h.at());
    expect(fresh.notBack30Days).toBe(7);
    expect(Date.parse(fresh.notBack30DaysAsOf)).toBeGreaterThan(Date.parse(first.notBack30DaysAsOf));
    expect(h.calls.notBack).toBe(2);

    // A new business-local day moves the 30 days: counted before answering.
    h.advance(24 * 3_600_000);
    expect((await h.home.figures(ctx, h.at())).notBack30Days).toBe(9);
    expect(h.calls.notBack).toBe(3);
  });
});
