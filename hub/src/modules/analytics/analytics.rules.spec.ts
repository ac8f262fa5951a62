import {
  bucketOf,
  bucketsBetween,
  cellsOf,
  cutsFromNtiles,
  dayBucketer,
  fmScore,
  kpis,
  pointsDelta,
  refundDelta,
  rfmProblems,
  RFM_GRID,
  RFM_SEGMENTS,
  saleDelta,
  scoreRecency,
  scoreUp,
  segmentOf,
  summarizeRfm,
  zeroFigures,
  addFigures,
} from './analytics.rules';

describe('analytics rules', () => {
  it('turns a sale, a refund and its void into deltas that cancel exactly', () => {
    const sale = saleDelta({
      cardId: 'c',
      guestId: 'g',
      locationId: 'l',
      programId: 'p',
      totalMinor: 30000,
      discountMinor: 1000,
      pointsRedeemed: 5,
      pointsAccrued: 29,
    });
    expect(sale).toEqual({
      sales: 1,
      cardSales: 1,
      grossMinor: 30000,
      discountMinor: 1000,
      revenueMinor: 29000,
      cardRevenueMinor: 29000,
      pointsAccrued: 29,
      pointsRedeemed: 5,
    });
    const anonymous = saleDelta({
      cardId: null,
      guestId: null,
      locationId: null,
      programId: null,
      totalMinor: 500,
      discountMinor: 0,
      pointsRedeemed: 0,
      pointsAccrued: 0,
    });
    expect(anonymous).toMatchObject({ cardSales: 0, cardRevenueMinor: 0, revenueMinor: 500 });
    const refund = refundDelta({ cardId: 'c', amountMinor: 10000, pointsReturned: 5, pointsReversed: 10 });
    expect(refund).toEqual({ refunds: 1, refundedMinor: 10000, revenueMinor: -10000, cardRevenueMinor: -10000, pointsReturned: 5, pointsReversed: 10 });
    const day = addFigures(addFigures(addFigures(zeroFigures(), sale), refund), refund, -1);
    expect(day).toEqual({ ...zeroFigures(), ...sale });
  });

  it('counts expiry as breakage and every movement in the liability', () => {
    expect(pointsDelta(-40, true)).toEqual({ pointsNet: -40, pointsExpired: 40 });
    expect(pointsDelta(25, false)).toEqual({ pointsNet: 25, pointsExpired: 0 });
  });

  it('maps instants to business-local days across midnight and DST', () => {
    const moscow = dayBucketer('Europe/Moscow');
    expect(moscow(new Date('2026-12-07T20:59:59.999Z'))).toBe('2026-12-07');
    expect(moscow(new Date('2026-12-07T21:00:00.000Z'))).toBe('2026-12-08');
    const berlin = dayBucketer('Europe/Berlin');
    // Summer time: UTC+2; winter: UTC+1.
    expect(berlin(Date.parse('2026-07-01T21:59:00Z'))).toBe('2026-07-01');
    expect(berlin(Date.parse('2026-07-01T22:00:00Z'))).toBe('2026-07-02');
    expect(berlin(Date.parse('2026-12-01T22:59:00Z'))).toBe('2026-12-01');
    expect(berlin(Date.parse('2026-12-01T23:00:00Z'))).toBe('2026-12-02');
    const kathmandu = dayBucketer('Asia/Kathmandu'); // UTC+5:45
    expect(kathmandu(Date.parse('2026-03-01T18:14:59Z'))).toBe('2026-03-01');
    expect(kathmandu(Date.parse('2026-03-01T18:15:00Z'))).toBe('2026-03-02');
  });

  it('groups days into Monday weeks and months, listing every bucket', () => {
    expect(bucketOf('2026-12-06', 'week')).toBe('2026-11-30'); // a Sunday
    expect(bucketOf('2026-12-07', 'week')).toBe('2026-12-07'); // a Monday
    expect(bucketOf('2026-12-31', 'month')).toBe('2026-12-01');
    expect(bucketsBetween('2026-11-29', '2026-12-08', 'week')).toEqual(['2026-11-23', '2026-11-30', '2026-12-07']);
    expect(bucketsBetween('2026-11-29', '2027-01-02', 'month')).toEqual(['2026-11-01', '2026-12-01', '2027-01-01']);
    expect(bucketsBetween('2026-12-30', '2027-01-01', 'day')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
  });

  it('derives average check, LTV, frequency, liability and breakage', () => {
    const period = { ...zeroFigures(), sales: 3, revenueMinor: 100000, pointsAccrued: 400, pointsExpired: 30 };
    const lifetime = { ...zeroFigures(), cardSales: 10, cardRevenueMinor: 900000, firstPurchases: 4, pointsNet: 1234 };
    expect(kpis(period, lifetime)).toEqual({ averageCheckMinor: 33333, ltvMinor: 225000, frequencyX100: 250, liabilityPoints: 1234, breakageBp: 750 });
    expect(kpis(zeroFigures(), zeroFigures())).toEqual({ averageCheckMinor: 0, ltvMinor: 0, frequencyX100: 0, liabilityPoints: 0, breakageBp: 0 });
  });

  it('scores R, F and M against four thresholds', () => {
    const r = [14, 30, 90, 180];
    expect([0, 14, 14.1, 30, 90, 180, 181].map((d) => scoreRecency(d, r))).toEqual([5, 5, 4, 4, 3, 2, 1]);
    const f = [2, 3, 5, 10];
    expect([0, 1, 2, 3, 4, 5, 9, 10, 50].map((v) => scoreUp(v, f))).toEqual([1, 1, 2, 3, 3, 4, 4, 5, 5]);
    expect([fmScore(1, 1), fmScore(1, 2), fmScore(2, 2), fmScore(4, 5), fmScore(5, 5)]).toEqual([1, 2, 2, 5, 5]);
  });

  it('names all 11 segments on the grid and finds their cells', () => {
    const named = new Set(Object.values(RFM_GRID).flat());
    expect([...named].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(segmentOf(5, 5, 5)).toBe('champions');
    expect(segmentOf(5, 1, 1)).toBe('new');
    expect(segmentOf(1, 1, 1)).toBe('lost');
    expect(segmentOf(1, 5, 5)).toBe('cant_lose');
    expect(segmentOf(2, 4, 2)).toBe('at_risk');
    expect(segmentOf(3, 3, 3)).toBe('need_attention');
    expect(cellsOf(['new'])).toEqual([511]);
    expect(cellsOf(['champions', 'lost']).length).toBe(cellsOf(['champions']).length + 1);
    // Every one of the 125 cells belongs to exactly one segment.
    expect(RFM_SEGMENTS.reduce((n, s) => n + cellsOf([s]).length, 0)).toBe(125);
  });

  it('sums guests and revenue per segment and per grid cell', () => {
    const s = summarizeRfm([
      { r: 5, f: 5, m: 5, guests: 2, revenueMinor: 1000 },
      { r: 5, f: 4, m: 5, guests: 1, revenueMinor: 300 },
      { r: 1, f: 1, m: 1, guests: 4, revenueMinor: 40 },
    ]);
    expect(s.buyers).toBe(7);
    expect(s.segments.find((x) => x.segment === 'champions')).toEqual({ segment: 'champions', guests: 3, revenueMinor: 1300 });
    expect(s.segments.find((x) => x.segment === 'lost')).toEqual({ segment: 'lost', guests: 4, revenueMinor: 40 });
    expect(s.segments).toHaveLength(11);
    expect(s.grid).toHaveLength(25);
    expect(s.grid.find((c) => c.r === 5 && c.fm === 5)).toMatchObject({ guests: 3, revenueMinor: 1300 });
  });

  it('checks thresholds and builds quintile cut points', () => {
    expect(rfmProblems({ recencyDays: [14, 30, 90, 180], frequency: [2, 2, 5, 10], monetaryMinor: [1, 2, 3] }).map((p) => p.field)).toEqual([
      'frequency',
      'monetaryMinor',
    ]);
    expect(cutsFromNtiles([1, 2, 4, 7, 12], [9, 9, 9, 9])).toEqual([2, 4, 7, 12]);
    // Few buyers: missing tiles fall back; tied tiles are nudged so the list stays increasing.
    const c = cutsFromNtiles([1, 1, null, null, null], [2, 3, 5, 10]);
    expect(c[0]).toBe(1);
    expect(c.slice(1)).toEqual([3, 5, 10]);
    const tie = cutsFromNtiles([1, 3, 3, 3, 8], [0, 0, 0, 0]);
    expect(tie[0]).toBe(3);
    expect(tie[1]! > 3 && tie[2]! > tie[1]! && tie[3]).toBe(8);
  });
});
