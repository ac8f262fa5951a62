import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Guest } from '../../src/modules/guests/guests.entity';
import { Card } from '../../src/modules/cards/cards.entity';

const DAY = 24 * 3600 * 1000;
const parseCsv = (text: string) => text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');

interface Row {
  id: string;
  name: string;
  phone: string;
  visits: number;
  spendMinor: number;
  lastPurchaseAt: string | null;
  card: { id: string; number: string; pointsBalance: number; levelCode: string | null } | null;
}

/**
 * The console's guest list (issue 18): server-side sorts with keyset pages, the segment filter with
 * a sort, the search by the last four digits of a phone or card number, and the CSV export.
 */
describeEachDb('guest list: sort, filter, last digits, export', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  const ids: Record<string, string> = {};
  const cardOf: Record<string, { id: string; number: string }> = {};
  const nameOf = (id: string) => Object.keys(ids).find((k) => ids[k] === id) ?? `foreign:${id}`;

  /** Every page of the list with a small page size: the names in order, no row twice. */
  const walk = async (query: Record<string, string>): Promise<{ names: string[]; rows: Row[] }> => {
    const rows: Row[] = [];
    let cursor: string | undefined;
    do {
      const res = await l.admin('get', '/v1/admin/guests').query({ ...query, limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      rows.push(...(res.body.items as Row[]));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    return { names: rows.map((r) => nameOf(r.id)), rows };
  };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Guest list');
    l = loyalty(t, b);
    const club = await l.program({
      name: 'Club',
      rules: { kind: 'bonus', accrualPercent: 5 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 500000 },
      ],
    });
    const friends = await l.program({ name: 'Friends', rules: { kind: 'discount', discountPercent: 5 } });
    const now = Date.now();
    // name: [phone, points, visits, spend, days since the last purchase (null: never)]
    const people: [string, string, number | null, number, number, number | null][] = [
      ['anna', '+79990001234', 500, 5, 500000, 2],
      ['boris', '+79990002222', 120, 1, 10000, 40],
      ['vera', '+79990003333', 120, 3, 30000, 45],
      ['gleb', '+79990004444', 0, 12, 1200000, 10],
      ['dina', '+79990005555', 900, 2, 20000, null],
      ['elena', '+79990006666', null, 2, 20000, 90], // no card
    ];
    for (const [name, phone, points, visits, spendMinor, daysAgo] of people) {
      const res = await l.admin('post', '/v1/admin/guests').send({ phone, name, ...(points !== null ? { programId: club.id } : {}) });
      if (res.status !== 201) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
      ids[name] = res.body.guest.id;
      if (res.body.card) {
        cardOf[name] = { id: res.body.card.id, number: res.body.card.number };
        await t.hub.db.manager.getRepository(Card).update({ id: res.body.card.id }, { pointsBalance: points! });
      }
      await t.hub.db.manager
        .getRepository(Guest)
        .update({ id: ids[name] }, { visits, spendMinor, lastPurchaseAt: daysAgo === null ? null : new Date(now - daysAgo * DAY) });
    }
    // gleb also holds a Friends card (no points): sorted by balance he is listed once per card.
    const second = await l.admin('post', '/v1/admin/cards').send({ programId: friends.id, guestId: ids.gleb }).expect(201);
    cardOf.gleb2 = { id: second.body.id, number: second.body.number };
    await l.admin('post', `/v1/admin/cards/${cardOf.anna!.id}/level`).send({ levelCode: 'gold', reason: 'test fixture' }).expect(200);
    // Someone in another business with anna's last digits never shows up.
    const other = await t.business('Elsewhere');
    await t.http.post('/v1/admin/guests').set('Cookie', other.ownerCookie).send({ phone: '+79998881234', name: 'stranger' }).expect(201);
  });
  afterAll(() => t?.close());

  it('sorts by each column on the server, both ways, across keyset pages', async () => {
    expect((await walk({})).names).toEqual(['elena', 'dina', 'gleb', 'vera', 'boris', 'anna']);
    expect((await walk({ order: 'asc' })).names).toEqual(['anna', 'boris', 'vera', 'gleb', 'dina', 'elena']);
    // Equal spend (dina and elena) falls back to the id, in the same direction.
    expect((await walk({ sort: 'spend' })).names).toEqual(['gleb', 'anna', 'vera', 'elena', 'dina', 'boris']);
    expect((await walk({ sort: 'spend', order: 'asc' })).names).toEqual(['boris', 'dina', 'elena', 'vera', 'anna', 'gleb']);
    expect((await walk({ sort: 'visits' })).names).toEqual(['gleb', 'anna', 'vera', 'elena', 'dina', 'boris']);
    // Never bought (dina) sorts below every date: last when descending, first when ascending.
    expect((await walk({ sort: 'lastVisit' })).names).toEqual(['anna', 'gleb', 'boris', 'vera', 'elena', 'dina']);
    expect((await walk({ sort: 'lastVisit', order: 'asc' })).names).toEqual(['dina', 'elena', 'vera', 'boris', 'gleb', 'anna']);
  });

  it('sorts by the points on the card: one row per card, guests without a card last', async () => {
    const desc = await walk({ sort: 'balance' });
    const tie = [cardOf.vera!.id, cardOf.boris!.id].sort().reverse();
    const glebCards = [cardOf.gleb!.id, cardOf.gleb2!.id].sort().reverse();
    expect(desc.rows.map((r) => r.card?.id ?? nameOf(r.id))).toEqual([cardOf.dina!.id, cardOf.anna!.id, ...tie, ...glebCards, 'elena']);
    expect(desc.rows.map((r) => r.card?.pointsBalance ?? null)).toEqual([900, 500, 120, 120, 0, 0, null]);
    expect(desc.rows[1]!.card!.levelCode).toBe('gold');
    const asc = await walk({ sort: 'balance', order: 'asc' });
    expect(asc.rows.map((r) => r.card?.pointsBalance ?? null)).toEqual([0, 0, 120, 120, 500, 900, null]);
    // The default list shows each guest's first card.
    const all = await walk({});
    expect(all.rows.find((r) => r.id === ids.gleb)!.card!.id).toBe(cardOf.gleb!.id);
    expect(all.rows.find((r) => r.id === ids.elena)!.card).toBeNull();
  });

  it('combines a sort with the segment filter, and the count agrees', async () => {
    const q = { sort: 'balance', notBackDays: '30' };
    const tie = (['vera', 'boris'] as const).slice().sort((a, c) => cardOf[c]!.id.localeCompare(cardOf[a]!.id));
    expect((await walk(q)).names).toEqual([...tie, 'elena']);
    expect((await l.admin('get', '/v1/admin/guests/count').query({ notBackDays: '30' }).expect(200)).body.count).toBe(3);
    expect((await walk({ sort: 'spend', level: 'gold' })).names).toEqual(['anna']);
    expect((await walk({ sort: 'lastVisit', order: 'asc', consent: 'false', visitsMin: '3' })).names).toEqual(['vera', 'gleb', 'anna']);
  });

  it('finds a guest by the last four digits of the phone or of a card number', async () => {
    expect((await walk({ q: '1234' })).names).toEqual(['anna']);
    expect((await walk({ q: '5555' })).names).toEqual(['dina']);
    const digits = cardOf.boris!.number.replace(/\D/g, '').slice(-4);
    const found = (await walk({ q: digits })).names;
    expect(found).toContain('boris');
    expect((await l.admin('get', '/v1/admin/guests/count').query({ q: '1234' }).expect(200)).body.count).toBe(1);
  });

  it("shows each card's holder by name and phone in the card list", async () => {
    const res = await l.admin('get', '/v1/admin/cards').query({ limit: '50' }).expect(200);
    const anna = (res.body.items as { id: string; holder: unknown }[]).find((c) => c.id === cardOf.anna!.id)!;
    expect(anna.holder).toEqual({ name: 'anna', phone: '+79990001234', erased: false });
  });

  it('refuses a cursor of another sort', async () => {
    const page = await l.admin('get', '/v1/admin/guests').query({ sort: 'spend', limit: '2' }).expect(200);
    const res = await l.admin('get', '/v1/admin/guests').query({ sort: 'created', cursor: page.body.nextCursor }).expect(400);
    expect(res.body.errors?.[0]?.field).toBe('cursor');
  });

  it('exports the filtered list as CSV with the card balance and level', async () => {
    const csv = parseCsv((await l.admin('get', '/v1/admin/exports/clients.csv').query({ notBackDays: '30' }).expect(200)).text);
    expect(csv[0]).toBe(
      'id,phone,name,email,gender,birthday,source,utmSource,utmCampaign,visits,spendMinor,firstPurchaseAt,lastPurchaseAt,marketingConsent,status,createdAt,cardNumber,pointsBalance,levelCode',
    );
    expect(csv.slice(1).map((r) => nameOf(r.split(',')[0]!)).sort()).toEqual(['boris', 'elena', 'vera']);
    const vera = csv.find((r) => r.startsWith(ids.vera!))!.split(',');
    expect(vera[1]).toBe('+79990003333');
    expect(vera[13]).toBe('false');
    expect(vera[12]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(vera.slice(16, 18)).toEqual([cardOf.vera!.number, '120']);
    const anna = parseCsv((await l.admin('get', '/v1/admin/exports/clients.csv').query({ q: '1234' }).expect(200)).text);
    expect(anna).toHaveLength(2);
    expect(anna[1]!.split(',').slice(16)).toEqual([cardOf.anna!.number, '500', 'gold']);
  });

  it('filters sales by location, cashier and period, and totals them in the database', async () => {
    const loc = await l.admin('post', '/v1/admin/locations').send({ name: 'Hall 2' }).expect(201);
    const sale = (amount: number) => l.commit({ card: { number: cardOf.anna!.number }, basket: l.basket(amount) }).expect(201);
    await sale(100000);
    await sale(50000);
    const all = await l.admin('get', '/v1/admin/checkouts/totals').expect(200);
    expect(all.body).toMatchObject({ sales: 2, totalMinor: 150000, pointsRedeemed: 0 });
    const list = await l.admin('get', '/v1/admin/checkouts').expect(200);
    expect(list.body.items[0]).toMatchObject({ actorType: 'terminal' });
    const elsewhere = await l.admin('get', '/v1/admin/checkouts/totals').query({ locationId: loc.body.id }).expect(200);
    expect(elsewhere.body).toMatchObject({ sales: 0, totalMinor: 0 });
    expect((await l.admin('get', '/v1/admin/checkouts').query({ locationId: loc.body.id }).expect(200)).body.items).toHaveLength(0);
    const future = new Date(Date.now() + DAY).toISOString();
    expect((await l.admin('get', '/v1/admin/checkouts/totals').query({ from: future }).expect(200)).body.sales).toBe(0);
    expect((await l.admin('get', '/v1/admin/checkouts/totals').query({ cashierId: 'nobody' }).expect(200)).body.sales).toBe(0);
    const csv = parseCsv((await l.admin('get', '/v1/admin/exports/purchases.csv').query({ terminalId: list.body.items[0].terminalId }).expect(200)).text);
    expect(csv).toHaveLength(3);
  });
});
