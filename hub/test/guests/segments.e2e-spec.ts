import { randomBytes } from 'node:crypto';
import { createTestHub, describeEachDb, openTestDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Guest } from '../../src/modules/guests/guests.entity';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { GuestSegments1764057600007 } from '../../src/db/migrations/0007-guest-segments';
import { systemActor } from '../../src/shared/context';
import type { GuestSearch } from '../../src/modules/guests/guests.service';
import { newId } from '../../src/shared/ids';

const TZ = 'Europe/Moscow';
const DAY = 24 * 3600 * 1000;

// Calendar helpers written independently of guests.segments.ts, so the test checks it.
const localDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const shiftDay = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const yearsBefore = (day: string, n: number) => `${Number(day.slice(0, 4)) - n}${day.slice(4)}`;
/** Moscow has no DST: a local day starts at 21:00 UTC the day before. */
const moscowMidnight = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 3 * 3600 * 1000);

describeEachDb('guest segments', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let today: string;
  const ids: Record<string, string> = {};
  const names = (list: { id: string }[]) =>
    list
      .map((g) => Object.keys(ids).find((k) => ids[k] === g.id) ?? `foreign:${g.id}`)
      .sort()
      .join(',');
  let bonus: { id: string };
  let discount: { id: string };
  /** The guests a filter returns (all pages) and the count route's answer, which must agree. */
  const segment = async (query: Record<string, string>): Promise<string> => {
    const found: { id: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await l.admin('get', '/v1/admin/guests').query({ ...query, limit: '3', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      found.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    const count = await l.admin('get', '/v1/admin/guests/count').query(query).expect(200);
    expect(count.body.count).toBe(found.length);
    return names(found);
  };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Segments');
    l = loyalty(t, b);
    today = localDay(new Date());
    bonus = await l.program({
      name: 'Club',
      rules: { kind: 'bonus', accrualPercent: 5 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'silver', name: 'Silver', threshold: 100000 },
        { code: 'gold', name: 'Gold', threshold: 500000 },
      ],
    });
    discount = await l.program({ name: 'Friends', rules: { kind: 'discount', discountPercent: 5 } });

    const register = async (key: string, body: Record<string, unknown>) => {
      const res = await l.admin('post', '/v1/admin/guests').send({ phone: l.nextPhone(), name: key, ...body });
      if (res.status !== 201) throw new Error(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
      ids[key] = res.body.guest.id;
      return res.body as { guest: { id: string; phone: string }; card: { id: string } | null };
    };
    const counters = (key: string, v: Partial<Pick<Guest, 'visits' | 'spendMinor' | 'lastPurchaseAt' | 'createdAt'>>) =>
      t.hub.db.manager.getRepository(Guest).update({ id: ids[key] }, v);
    const level = (cardId: string, levelCode: string) =>
      l.admin('post', `/v1/admin/cards/${cardId}/level`).send({ levelCode, reason: 'test fixture' }).expect(200);
    const now = Date.now();

    // anna: 30 today, gold in Club, pass installed on a phone, consented, came back two days ago.
    const anna = await register('anna', { gender: 'female', birthday: yearsBefore(today, 30), marketingConsent: true, programId: bonus.id });
    await level(anna.card!.id, 'gold');
    const registrations = t.hub.db.manager.getRepository(WalletRegistration);
    await registrations.insert(
      registrations.create({
        businessId: b.businessId,
        cardId: anna.card!.id,
        deviceLibraryId: 'device-1',
        passTypeId: 'pass.test',
        serial: anna.card!.id,
        pushToken: 'token',
      }),
    );
    await counters('anna', { visits: 5, spendMinor: 500000, lastPurchaseAt: new Date(now - 2 * DAY), createdAt: new Date('2025-01-15T10:00:00Z') });

    // boris: 30 tomorrow (29 today), silver, from a VK spring link; last seen 40 days ago; registered at 23:59 Moscow on Mar 1.
    const boris = await register('boris', {
      gender: 'male',
      birthday: shiftDay(yearsBefore(today, 30), 1),
      source: 'form',
      utm: { source: 'vk', campaign: 'spring', medium: 'cpc' },
      programId: bonus.id,
    });
    await level(boris.card!.id, 'silver');
    await counters('boris', { visits: 1, spendMinor: 10000, lastPurchaseAt: new Date(now - 40 * DAY), createdAt: new Date('2025-03-01T20:59:59Z') });

    // vera: no gender, born Dec 30, Instagram winter link, a Friends card, never bought; registered 00:30 Moscow on Jan 1; blacklisted.
    const vera = await register('vera', { birthday: '1990-12-30', source: 'form', utm: { source: 'instagram', campaign: 'winter' }, programId: discount.id });
    await counters('vera', { createdAt: new Date('2025-12-31T21:30:00Z') });
    await l.admin('post', '/v1/admin/blacklist').send({ phone: vera.guest.phone, reason: 'test' }).expect(201);

    // gleb: 16, from the till; his Club card was deleted, a Friends card is active; last bought ten days ago.
    const gleb = await register('gleb', { gender: 'male', birthday: '2010-01-03', source: 'pos', programId: bonus.id });
    await l.admin('post', `/v1/admin/cards/${gleb.card!.id}/status`).send({ status: 'deleted' }).expect(200);
    await l.admin('post', '/v1/admin/cards').send({ programId: discount.id, guestId: ids.gleb }).expect(201);
    await counters('gleb', { visits: 12, spendMinor: 1200000, lastPurchaseAt: new Date(now - 10 * DAY), createdAt: new Date('2025-06-10T09:00:00Z') });

    // dina: born Jan 6, imported, VK autumn link; bought early on the first day of the 30-day window.
    await register('dina', { gender: 'female', birthday: '1985-01-06', source: 'import', utm: { source: 'VK', campaign: 'autumn' } });
    await counters('dina', {
      visits: 3,
      spendMinor: 30000,
      lastPurchaseAt: new Date(moscowMidnight(shiftDay(today, -29)).getTime() + 3600 * 1000),
      createdAt: new Date('2024-05-05T12:00:00Z'),
    });

    // elena: born Dec 28; bought one minute before the 30-day window opened.
    await register('elena', { gender: 'female', birthday: '1975-12-28' });
    await counters('elena', {
      visits: 2,
      spendMinor: 20000,
      lastPurchaseAt: new Date(moscowMidnight(shiftDay(today, -29)).getTime() - 60 * 1000),
      createdAt: new Date('2024-05-06T12:00:00Z'),
    });

    // fyodor: erased; had a birthday today and a VK link, but erasure removed them.
    await register('fyodor', { gender: 'male', birthday: yearsBefore(today, 40), utm: { source: 'vk' } });
    await l.admin('post', `/v1/admin/guests/${ids.fyodor}/erase`).expect(200);
    await counters('fyodor', { createdAt: new Date('2024-01-01T12:00:00Z') });

    // A twin of anna in another business never shows up here.
    const other = await t.business('Elsewhere');
    await t.http
      .post('/v1/admin/guests')
      .set('Cookie', other.ownerCookie)
      .send({ phone: l.nextPhone(), gender: 'female', birthday: yearsBefore(today, 30), source: 'form', utm: { source: 'vk', campaign: 'spring' } })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const ACTIVE = 'anna,boris,dina,elena,gleb,vera';

  it('without a filter lists every guest; status narrows as before', async () => {
    expect(await segment({})).toBe(`${ACTIVE},fyodor`.split(',').sort().join(','));
    expect(await segment({ status: 'active' })).toBe(ACTIVE);
    expect(await segment({ status: 'erased' })).toBe('fyodor');
  });

  it('program and level: a card that is not deleted, program and level on the same card', async () => {
    expect(await segment({ programId: bonus.id })).toBe('anna,boris');
    expect(await segment({ programId: discount.id })).toBe('gleb,vera');
    expect(await segment({ programId: `${bonus.id},${discount.id}` })).toBe('anna,boris,gleb,vera');
    expect(await segment({ level: 'gold' })).toBe('anna');
    expect(await segment({ level: 'gold,silver' })).toBe('anna,boris');
    expect(await segment({ programId: discount.id, level: 'gold' })).toBe('');
  });

  it('gender, with unknown for guests who did not say', async () => {
    expect(await segment({ status: 'active', gender: 'female' })).toBe('anna,dina,elena');
    expect(await segment({ status: 'active', gender: 'unknown' })).toBe('vera');
    expect(await segment({ status: 'active', gender: 'male,unknown' })).toBe('boris,gleb,vera');
  });

  it('age band in full years on the business-local today (a birthday today counts, tomorrow does not)', async () => {
    expect(await segment({ ageFrom: '30' })).toBe('anna,dina,elena,vera');
    expect(await segment({ ageTo: '29' })).toBe('boris,gleb');
    expect(await segment({ ageFrom: '29', ageTo: '30' })).toBe('anna,boris');
    expect(await segment({ ageFrom: '18', ageTo: '29' })).toBe('boris');
    expect(await segment({ ageFrom: '45', ageTo: '54' })).toBe('elena');
  });

  it('birthday windows, across the new year, never matching an erased guest', async () => {
    const md = (d: string) => d.slice(5);
    const fixture: Record<string, string> = { anna: md(today), boris: md(shiftDay(today, 1)), vera: '12-30', gleb: '01-03', dina: '01-06', elena: '12-28' };
    const where = (ok: (md: string) => boolean) =>
      Object.keys(fixture)
        .filter((k) => ok(fixture[k]!))
        .sort()
        .join(',');
    expect(await segment({ birthdayIn: 'today' })).toBe(where((d) => d === md(today)));
    expect(await segment({ birthdayIn: 'this_month' })).toBe(where((d) => d.slice(0, 2) === today.slice(5, 7)));
    const wrap = (d: string) => d >= '12-28' || d <= '01-05';
    expect(await segment({ birthdayFrom: '12-28', birthdayTo: '01-05' })).toBe(where(wrap));
    expect(where(wrap)).toEqual(expect.stringContaining('elena,gleb,vera'));
    expect(await segment({ birthdayFrom: '01-04', birthdayTo: '01-06' })).toBe(where((d) => d >= '01-04' && d <= '01-06'));
    const week = Array.from({ length: 7 }, (_, i) => shiftDay(today, i)).map(md);
    expect(await segment({ birthdayIn: 'next_7_days' })).toBe(where((d) => week.includes(d)));
  });

  it('source and UTM source/campaign', async () => {
    expect(await segment({ source: 'form' })).toBe('boris,vera');
    expect(await segment({ source: 'pos,import' })).toBe('dina,gleb');
    expect(await segment({ source: 'console', status: 'active' })).toBe('anna,elena');
    expect(await segment({ utmSource: 'vk' })).toBe('boris,dina');
    expect(await segment({ utmCampaign: 'winter' })).toBe('vera');
    expect(await segment({ utmSource: 'vk', utmCampaign: 'spring,winter' })).toBe('boris');
    expect(await segment({ utmSource: 'Vk' })).toBe('boris,dina');
  });

  it('visits and spend', async () => {
    expect(await segment({ visitsMin: '3' })).toBe('anna,dina,gleb');
    expect(await segment({ visitsMax: '1', status: 'active' })).toBe('boris,vera');
    expect(await segment({ visitsMin: '2', visitsMax: '5' })).toBe('anna,dina,elena');
    expect(await segment({ spendMinMinor: '30000' })).toBe('anna,dina,gleb');
    expect(await segment({ spendMaxMinor: '20000', status: 'active' })).toBe('boris,elena,vera');
  });

  it('last purchase after/before a day, and "not back for N days" with the window edge to the minute', async () => {
    expect(await segment({ lastPurchaseAfter: shiftDay(today, -10) })).toBe('anna,gleb');
    expect(await segment({ lastPurchaseBefore: shiftDay(today, -10) })).toBe('boris,dina,elena');
    expect(await segment({ lastPurchaseAfter: shiftDay(today, -40), lastPurchaseBefore: shiftDay(today, -29) })).toBe('boris,elena');
    expect(await segment({ notBackDays: '30' })).toBe('boris,elena');
    expect(await segment({ notBackDays: '1' })).toBe('anna,boris,dina,elena,gleb');
  });

  it('registered between two days of the business calendar', async () => {
    expect(await segment({ registeredFrom: '2025-03-01', registeredTo: '2025-12-31' })).toBe('boris,gleb');
    expect(await segment({ registeredFrom: '2026-01-01', registeredTo: '2026-01-01' })).toBe('vera');
    expect(await segment({ registeredTo: '2024-12-31' })).toBe('dina,elena,fyodor');
  });

  it('wallet installed, blacklisted and consent', async () => {
    expect(await segment({ walletInstalled: 'true' })).toBe('anna');
    expect(await segment({ walletInstalled: 'false', status: 'active' })).toBe('boris,dina,elena,gleb,vera');
    expect(await segment({ blacklisted: 'true' })).toBe('vera');
    expect(await segment({ blacklisted: 'false', status: 'active' })).toBe('anna,boris,dina,elena,gleb');
    expect(await segment({ consent: 'true' })).toBe('anna');
  });

  it('fields combine with AND, and with the text search', async () => {
    expect(await segment({ gender: 'female', ageFrom: '40', walletInstalled: 'false' })).toBe('dina,elena');
    expect(await segment({ q: 'boris', utmSource: 'vk' })).toBe('boris');
    expect(await segment({ q: 'dina', programId: bonus.id })).toBe('');
  });

  it('refuses malformed values (400) and contradictions (422), naming the field', async () => {
    const bad = await l.admin('get', '/v1/admin/guests').query({ programId: 'nope', ageFrom: 'old', birthdayIn: 'someday' }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['ageFrom', 'birthdayIn', 'programId[0]']);
    const badCount = await l.admin('get', '/v1/admin/guests/count').query({ walletInstalled: 'maybe', limit: '5' }).expect(400);
    expect(badCount.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'walletInstalled']);
    const contra = await l.admin('get', '/v1/admin/guests').query({ ageFrom: '40', ageTo: '30' }).expect(422);
    expect(contra.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(contra.body).toMatchObject({ code: 'invalid_filter', errors: [{ field: 'ageTo' }] });
    const half = await l.admin('get', '/v1/admin/guests/count').query({ birthdayFrom: '12-28' }).expect(422);
    expect(half.body.errors).toEqual([expect.objectContaining({ field: 'birthdayTo' })]);
  });

  it('the count needs a staff session and is in the OpenAPI document with its parameters', async () => {
    await t.http.get('/v1/admin/guests/count').expect(401);
    const doc = (await t.http.get('/v1/openapi.json').expect(200)).body;
    const params = (doc.paths['/v1/admin/guests/count'].get.parameters as { name: string }[]).map((p) => p.name);
    expect(params).toEqual(expect.arrayContaining(['programId', 'level', 'birthdayIn', 'utmSource', 'walletInstalled', 'notBackDays', 'q']));
    expect((doc.paths['/v1/admin/guests'].get.parameters as { name: string }[]).map((p) => p.name)).toEqual(
      expect.arrayContaining(['cursor', 'ageFrom', 'registeredTo']),
    );
  });

  it('keeps the UTM and birthday columns in step when a guest changes or is erased', async () => {
    await l.admin('patch', `/v1/admin/guests/${ids.dina}`).send({ birthday: '1985-12-29' }).expect(200);
    try {
      expect(await segment({ birthdayFrom: '12-29', birthdayTo: '12-29' })).toBe('dina');
      const g = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ id: ids.fyodor });
      expect({ birthdayMd: g.birthdayMd, utmSource: g.utmSource, utmCampaign: g.utmCampaign }).toEqual({
        birthdayMd: null,
        utmSource: null,
        utmCampaign: null,
      });
    } finally {
      await l.admin('patch', `/v1/admin/guests/${ids.dina}`).send({ birthday: '1985-01-06' }).expect(200);
    }
  });
  it('finds imported guests by birthday: new rows and birthdays an import adds to existing guests', async () => {
    const other = await t.business('Importer');
    const admin = (method: 'get' | 'post', path: string) => t.http[method](path).set('Cookie', other.ownerCookie);
    await admin('post', '/v1/admin/guests').send({ phone: '+79120000002', name: 'Known' }).expect(201);
    const csv = 'phone,name,birthday\n+79120000001,New,14.02.1990\n+79120000002,Known,1991-02-15\n+79120000003,Other,1992-07-01\n';
    const up = await admin('post', '/v1/admin/imports').set('content-type', 'text/csv').send(csv).expect(202);
    for (let i = 0; i < 600; i++) {
      if (!(await t.hub.services.imports.work(5000, up.body.id))) await new Promise((r) => setTimeout(r, 50));
      const r = await admin('get', `/v1/admin/imports/${up.body.id}`).expect(200);
      if (['done', 'failed', 'canceled'].includes(r.body.state)) break;
    }
    const found = await admin('get', '/v1/admin/guests').query({ birthdayFrom: '02-14', birthdayTo: '02-15' }).expect(200);
    expect(found.body.items.map((g: { name: string }) => g.name).sort()).toEqual(['Known', 'New']);
  });
});

describeEachDb('guest segments migration', (backend) => {
  it('fills the UTM and birthday columns of guests registered before it', async () => {
    const { db, drop } = await openTestDb(backend);
    const qr = db.ds.createQueryRunner();
    try {
      const m = new GuestSegments1764057600007();
      await m.down(qr);
      const rows: [string, string | null, string | null][] = [
        ['+79990000001', '{"source":"VK","campaign":"spring","medium":"cpc"}', '1990-12-30'],
        ['+79990000002', '{"source":"  "}', null],
        ['+79990000003', 'not json', '2000-02-29'],
        ['+79990000004', null, 'garbage'],
        ['+79990000005', `{"campaign":"${'x'.repeat(150)}"}`, null],
      ];
      const businessId = newId();
      for (const [phone, utm, birthday] of rows) {
        await qr.query('INSERT INTO guests (id, businessId, referralCode, phone, utm, birthday) VALUES (?, ?, ?, ?, ?, ?)', [
          newId(),
          businessId,
          randomBytes(4).toString('hex'),
          phone,
          utm,
          birthday,
        ]);
      }
      await m.up(qr);
      const got = (await qr.query('SELECT phone, utmSource, utmCampaign, birthdayMd FROM guests WHERE businessId = ? ORDER BY phone', [businessId])) as Record<
        string,
        string | null
      >[];
      expect(got.map((g) => [g.phone, g.utmSource, g.utmCampaign, g.birthdayMd])).toEqual([
        ['+79990000001', 'vk', 'spring', '12-30'],
        ['+79990000002', null, null, null],
        ['+79990000003', null, null, '02-29'],
        ['+79990000004', null, null, null],
        ['+79990000005', null, 'x'.repeat(100), null],
      ]);
    } finally {
      await qr.release();
      await db.close();
      await drop();
    }
  });
});

if (process.env.TEST_DATABASE_URL) {
  describe('guest segments query plans [mariadb]', () => {
    let t: TestHub;
    let businessId: string;
    beforeAll(async () => {
      t = await createTestHub({ db: 'mariadb' });
      ({ businessId } = await t.business('Plans'));
      const other = await t.business('Neighbour');
      // 4,000 guests in two businesses with spread-out values, so the optimizer has a choice to make.
      const now = Date.now();
      for (const [biz, n] of [
        [businessId, 2000],
        [other.businessId, 2000],
      ] as const) {
        const values: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const month = String((i % 12) + 1).padStart(2, '0');
          const day = String((i % 28) + 1).padStart(2, '0');
          const birthday = `${1950 + (i % 60)}-${month}-${day}`;
          values.push(
            newId(),
            biz,
            randomBytes(5).toString('hex'),
            `+7990${String(i).padStart(7, '0')}`,
            birthday,
            `${month}-${day}`,
            i % 50 === 0 ? 'vk' : null,
            new Date(now - (i % 365) * DAY),
            new Date(now - (i % 700) * DAY),
          );
        }
        const rows = Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
        await t.hub.db.manager.query(
          `INSERT INTO guests (id, businessId, referralCode, phone, birthday, birthdayMd, utmSource, lastPurchaseAt, createdAt) VALUES ${rows}`,
          values,
        );
      }
      await t.hub.db.manager.query('ANALYZE TABLE guests');
    });
    afterAll(async () => {
      await t?.close();
    });

    const plan = async (filter: GuestSearch) => {
      const qb = await t.hub.services.guests.search({ businessId, actor: systemActor('test') }, filter);
      const [sql, params] = qb.select('COUNT(*)', 'n').getQueryAndParameters();
      const rows = (await t.hub.db.manager.query(`EXPLAIN ${sql}`, params)) as { table: string; type: string; key: string | null }[];
      return rows.find((r) => r.table === 'g')!;
    };

    it.each<[GuestSearch, string]>([
      [{ notBackDays: 340 }, 'ix_guests_business_last'],
      [{ birthdayFrom: '03-01', birthdayTo: '03-03' }, 'ix_guests_business_birthday_md'],
      [{ utmSource: ['vk'] }, 'ix_guests_business_utm_source'],
      [{ ageFrom: 70 }, 'ix_guests_business_birthday'],
      [{ registeredFrom: '2026-01-01', registeredTo: '2026-01-02' }, 'ix_guests_business_created'],
    ])('%j reads the guests through %s', async (filter, index) => {
      const row = await plan(filter);
      expect(row.type).not.toBe('ALL');
      expect(row.key).toBe(index);
    });
  });
}
