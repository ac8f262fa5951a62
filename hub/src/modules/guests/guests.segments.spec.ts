import {
  addDays,
  birthdayMonthDay,
  birthdayRange,
  compileSegment,
  minusYears,
  segmentFilter,
  segmentOf,
  segmentProblems,
  startOfDay,
  utmColumns,
  type SegmentFilter,
  type SegmentSources,
  type SqlCondition,
} from './guests.segments';

/** Sources that echo what they were asked, so the compiled SQL shows the composition. */
const sources: SegmentSources = {
  cards: (guest, f, key) => {
    const also = f.also?.({ id: `${key}.id`, businessId: `${key}.businessId` });
    return {
      sql: `CARDS[${key}](${guest.id}${f.programIds ? ` programs=:...${key}_p` : ''}${f.levelCodes ? ` levels=:...${key}_l` : ''}${also ? ` also=${also.sql}` : ''})`,
      params: { ...(f.programIds ? { [`${key}_p`]: f.programIds } : {}), ...(f.levelCodes ? { [`${key}_l`]: f.levelCodes } : {}), ...(also?.params ?? {}) },
    };
  },
  walletInstalled: (card, key) => ({ sql: `WALLET[${key}](${card.id})`, params: {} }),
};

const MOSCOW = 'Europe/Moscow';
// 2026-12-07 10:00 in Moscow (a Monday).
const NOW = new Date('2026-12-07T07:00:00Z');
const compile = (f: SegmentFilter, now = NOW, timeZone = MOSCOW): SqlCondition[] => compileSegment(f, { alias: 'g', now, timeZone, sources });
const parse = (q: Record<string, unknown>) => segmentFilter.parse(q);
const one = (f: SegmentFilter, now?: Date) => {
  const c = compile(f, now);
  expect(c).toHaveLength(1);
  return c[0]!;
};

describe('segment filter schema', () => {
  it('reads lists from commas or repeated parameters, drops empty ones, and coerces numbers and booleans', () => {
    expect(parse({ level: 'gold, silver', source: ['pos', 'form'], gender: 'female,unknown' })).toEqual({
      level: ['gold', 'silver'],
      source: ['pos', 'form'],
      gender: ['female', 'unknown'],
    });
    expect(parse({ source: '', utmSource: ' , ' })).toEqual({ source: undefined, utmSource: undefined });
    expect(parse({ utmSource: 'VK,Instagram', utmCampaign: ['Spring'] })).toEqual({ utmSource: ['vk', 'instagram'], utmCampaign: ['spring'] });
    expect(parse({ ageFrom: '25', visitsMin: '0', walletInstalled: 'false', blacklisted: 'true', consent: '1' })).toEqual({
      ageFrom: 25,
      visitsMin: 0,
      walletInstalled: false,
      blacklisted: true,
      consent: true,
    });
  });

  it('names the field of a malformed value', () => {
    const fields = (q: Record<string, unknown>) => segmentFilter.safeParse(q).error?.issues.map((i) => i.path.join('.'));
    expect(fields({ programId: 'not-a-uuid' })).toEqual(['programId.0']);
    expect(fields({ gender: 'other' })).toEqual(['gender.0']);
    expect(fields({ ageFrom: '-1' })).toEqual(['ageFrom']);
    expect(fields({ ageTo: 'old' })).toEqual(['ageTo']);
    expect(fields({ birthdayFrom: '02-30' })).toEqual(['birthdayFrom']);
    expect(fields({ birthdayTo: '13-01' })).toEqual(['birthdayTo']);
    expect(fields({ lastPurchaseBefore: '2026-02-29' })).toEqual(['lastPurchaseBefore']);
    expect(fields({ walletInstalled: 'perhaps' })).toEqual(['walletInstalled']);
    expect(fields({ birthdayIn: 'someday' })).toEqual(['birthdayIn']);
    expect(fields({ notBackDays: '0' })).toEqual(['notBackDays']);
    expect(fields({ colour: 'red' })).toEqual(['']);
    expect(segmentFilter.safeParse({ birthdayFrom: '02-29', birthdayTo: '03-01' }).success).toBe(true);
  });

  it('refuses contradictions with the field to fix', () => {
    expect(segmentProblems(parse({ ageFrom: '40', ageTo: '30' }))).toEqual([{ field: 'ageTo', message: 'Must not be less than ageFrom' }]);
    expect(segmentProblems(parse({ visitsMin: '5', visitsMax: '2', spendMinMinor: '10', spendMaxMinor: '9' })).map((p) => p.field)).toEqual([
      'visitsMax',
      'spendMaxMinor',
    ]);
    expect(segmentProblems(parse({ registeredFrom: '2026-02-01', registeredTo: '2026-01-31' })).map((p) => p.field)).toEqual(['registeredTo']);
    expect(segmentProblems(parse({ lastPurchaseAfter: '2026-02-01', lastPurchaseBefore: '2026-02-01' })).map((p) => p.field)).toEqual(['lastPurchaseBefore']);
    expect(segmentProblems(parse({ birthdayFrom: '12-28' })).map((p) => p.field)).toEqual(['birthdayTo']);
    expect(segmentProblems(parse({ birthdayIn: 'today', birthdayFrom: '01-01', birthdayTo: '01-02' })).map((p) => p.field)).toEqual(['birthdayIn']);
    expect(segmentProblems(parse({ ageFrom: '30', ageTo: '30', registeredFrom: '2026-01-01', registeredTo: '2026-01-01' }))).toEqual([]);
  });

  it('picks the segment out of a query that carries other parameters', () => {
    expect(segmentOf({ q: 'anna', limit: 50, level: ['gold'], consent: false, ageFrom: undefined })).toEqual({ level: ['gold'], consent: false });
  });
});

describe('calendar arithmetic', () => {
  it('subtracts years with February 29 falling back to the 28th', () => {
    expect(minusYears('2026-12-07', 18)).toBe('2008-12-07');
    expect(minusYears('2028-02-29', 18)).toBe('2010-02-28');
    expect(minusYears('2028-02-29', 4)).toBe('2024-02-29');
    expect(addDays('2026-12-28', 7)).toBe('2027-01-04');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
  });

  it('finds the instant a local day starts, across DST', () => {
    expect(startOfDay('2026-12-07', MOSCOW).toISOString()).toBe('2026-12-06T21:00:00.000Z');
    expect(startOfDay('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(startOfDay('2026-01-15', 'Europe/Berlin').toISOString()).toBe('2026-01-14T23:00:00.000Z');
    // The day DST starts in Berlin (clocks jump at 02:00) still starts at midnight CET.
    expect(startOfDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-12-07', 'UTC').toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });

  it('gives birthday windows as month-day ranges, wrapping the new year', () => {
    expect(birthdayRange('today', '2026-12-07')).toEqual({ from: '12-07', to: '12-07' });
    expect(birthdayRange('this_week', '2026-12-10')).toEqual({ from: '12-07', to: '12-13' });
    expect(birthdayRange('this_week', '2026-12-31')).toEqual({ from: '12-28', to: '01-03' });
    expect(birthdayRange('this_month', '2026-12-07')).toEqual({ from: '12-01', to: '12-31' });
    expect(birthdayRange('next_7_days', '2026-12-28')).toEqual({ from: '12-28', to: '01-03' });
    expect(birthdayRange('next_30_days', '2026-12-07')).toEqual({ from: '12-07', to: '01-05' });
  });

  it('congratulates leap-day guests on February 28 in a common year, and on the 29th in a leap year', () => {
    expect(birthdayRange('today', '2027-02-28')).toEqual({ from: '02-28', to: '02-29' });
    expect(birthdayRange('this_month', '2027-02-10')).toEqual({ from: '02-01', to: '02-29' });
    expect(birthdayRange('this_month', '2028-02-10')).toEqual({ from: '02-01', to: '02-29' });
    expect(birthdayRange('today', '2028-02-28')).toEqual({ from: '02-28', to: '02-28' });
    expect(birthdayRange('today', '2028-02-29')).toEqual({ from: '02-29', to: '02-29' });
  });
});

describe('compileSegment', () => {
  it('compiles an empty filter to nothing', () => {
    expect(compile({})).toEqual([]);
  });

  it('binds every user value as a parameter, never in the SQL text', () => {
    const evil = "x' OR 1=1 --";
    const conds = compile(parse({ source: evil, utmSource: evil, utmCampaign: evil, level: evil, programId: '0193a7e2-0000-7000-8000-000000000001' }));
    for (const c of conds) expect(c.sql).not.toContain(evil);
    expect(conds.flatMap((c) => Object.values(c.params)).flat()).toEqual(expect.arrayContaining([evil]));
  });

  it('asks the cards module for program and level on one card, and cards with a wallet install for walletInstalled', () => {
    const both = one(parse({ programId: '0193a7e2-0000-7000-8000-000000000001', level: 'gold,silver' }));
    expect(both.sql).toBe('CARDS[sg_c](g.id programs=:...sg_c_p levels=:...sg_c_l)');
    expect(both.params).toEqual({ sg_c_p: ['0193a7e2-0000-7000-8000-000000000001'], sg_c_l: ['gold', 'silver'] });
    expect(one({ walletInstalled: true }).sql).toBe('CARDS[sg_wc](g.id also=WALLET[sg_w](sg_wc.id))');
    expect(one({ walletInstalled: false }).sql).toBe('NOT CARDS[sg_wc](g.id also=WALLET[sg_w](sg_wc.id))');
  });

  it('matches unknown gender as a missing value', () => {
    expect(one({ gender: ['female'] })).toEqual({ sql: '(g.gender IN (:...sg_gender))', params: { sg_gender: ['female'] } });
    expect(one({ gender: ['male', 'unknown'] })).toEqual({ sql: '(g.gender IN (:...sg_gender) OR g.gender IS NULL)', params: { sg_gender: ['male'] } });
    expect(one({ gender: ['unknown'] })).toEqual({ sql: '(g.gender IS NULL)', params: {} });
  });

  it('turns an age band into a range of birth dates counted from the business-local today', () => {
    // 2026-12-07 in Moscow: 25 to 34 years old = born after 1991-12-07 and on or before 2001-12-07.
    expect(compile({ ageFrom: 25, ageTo: 34 })).toEqual([
      { sql: 'g.birthday <= :sg_bornBy', params: { sg_bornBy: '2001-12-07' } },
      { sql: 'g.birthday > :sg_bornAfter', params: { sg_bornAfter: '1991-12-07' } },
    ]);
    // At 22:30 UTC on Dec 6 it is already Dec 7 in Moscow.
    expect(one({ ageFrom: 18 }, new Date('2026-12-06T22:30:00Z')).params).toEqual({ sg_bornBy: '2008-12-07' });
    expect(compile({ ageFrom: 18 }, new Date('2026-12-06T22:30:00Z'), 'UTC')[0]!.params).toEqual({ sg_bornBy: '2008-12-06' });
  });

  it('compares the birthday month-day column, with OR when the window wraps the year', () => {
    expect(one({ birthdayFrom: '03-01', birthdayTo: '03-31' })).toEqual({
      sql: 'g.birthdayMd BETWEEN :sg_bdFrom AND :sg_bdTo',
      params: { sg_bdFrom: '03-01', sg_bdTo: '03-31' },
    });
    expect(one({ birthdayFrom: '12-28', birthdayTo: '01-05' })).toEqual({
      sql: '(g.birthdayMd >= :sg_bdFrom OR g.birthdayMd <= :sg_bdTo)',
      params: { sg_bdFrom: '12-28', sg_bdTo: '01-05' },
    });
    expect(one({ birthdayIn: 'this_week' }, new Date('2026-12-31T09:00:00Z')).params).toEqual({ sg_bdFrom: '12-28', sg_bdTo: '01-03' });
  });

  it('turns days into the instants they start in the business time zone', () => {
    expect(compile({ registeredFrom: '2026-12-01', registeredTo: '2026-12-07', lastPurchaseAfter: '2026-11-01', lastPurchaseBefore: '2026-12-01' })).toEqual([
      { sql: 'g.lastPurchaseAt >= :sg_lastAfter', params: { sg_lastAfter: new Date('2026-10-31T21:00:00Z') } },
      { sql: 'g.lastPurchaseAt < :sg_lastBefore', params: { sg_lastBefore: new Date('2026-11-30T21:00:00Z') } },
      { sql: 'g.createdAt >= :sg_regFrom', params: { sg_regFrom: new Date('2026-11-30T21:00:00Z') } },
      { sql: 'g.createdAt < :sg_regTo', params: { sg_regTo: new Date('2026-12-07T21:00:00Z') } },
    ]);
  });

  it('"not back for 30 days": the last purchase is before the start of the 30-day window that ends today', () => {
    // Today 2026-12-07: the window is Nov 8 .. Dec 7, Moscow time.
    expect(one({ notBackDays: 30 })).toEqual({ sql: 'g.lastPurchaseAt < :sg_notBack', params: { sg_notBack: new Date('2026-11-07T21:00:00Z') } });
    expect(one({ notBackDays: 1 }).params).toEqual({ sg_notBack: new Date('2026-12-06T21:00:00Z') });
  });

  it('compiles counters, lists, consent and the blacklist', () => {
    expect(
      compile({
        visitsMin: 2,
        visitsMax: 5,
        spendMinMinor: 100,
        spendMaxMinor: 900,
        source: ['pos'],
        utmSource: ['vk'],
        utmCampaign: ['spring'],
        consent: false,
      }),
    ).toEqual([
      { sql: 'g.source IN (:...sg_source)', params: { sg_source: ['pos'] } },
      { sql: 'g.utmSource IN (:...sg_utmSource)', params: { sg_utmSource: ['vk'] } },
      { sql: 'g.utmCampaign IN (:...sg_utmCampaign)', params: { sg_utmCampaign: ['spring'] } },
      { sql: 'g.visits >= :sg_visitsMin', params: { sg_visitsMin: 2 } },
      { sql: 'g.visits <= :sg_visitsMax', params: { sg_visitsMax: 5 } },
      { sql: 'g.spendMinor >= :sg_spendMin', params: { sg_spendMin: 100 } },
      { sql: 'g.spendMinor <= :sg_spendMax', params: { sg_spendMax: 900 } },
      { sql: 'g.marketingConsent = :sg_consent', params: { sg_consent: false } },
    ]);
    expect(one({ blacklisted: true }).sql).toBe('EXISTS (SELECT 1 FROM blacklist sg_bl WHERE sg_bl.businessId = g.businessId AND sg_bl.phone = g.phone)');
    expect(one({ blacklisted: false }).sql).toMatch(/^NOT EXISTS \(SELECT 1 FROM blacklist/);
  });
});

describe('denormalized columns', () => {
  it('keeps the month-day of a birthday and the UTM source and campaign', () => {
    expect(birthdayMonthDay('1990-02-29')).toBe('02-29');
    expect(birthdayMonthDay(null)).toBeNull();
    expect(birthdayMonthDay('garbage')).toBeNull();
    expect(utmColumns({ source: ' VK ', medium: 'cpc', campaign: 'x'.repeat(150) })).toEqual({ utmSource: 'vk', utmCampaign: 'x'.repeat(100) });
    expect(utmColumns(null)).toEqual({ utmSource: null, utmCampaign: null });
    expect(utmColumns({ source: '  ' })).toEqual({ utmSource: null, utmCampaign: null });
  });
});
