import { Readable } from 'node:stream';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { Guest } from '../../src/modules/guests/guests.entity';

const CSV = [
  'phone;name;email;birthday;gender;points;level;card_number;favourite_drink',
  '8 (912) 000-00-01;Анна;anna@example.com;17.05.1990;ж;150;silver;4000000000001;latte',
  '+7 912 000 00 02;Boris;;1985-01-02;m;0;;;',
  'not-a-phone;Nobody;;;;;;;',
  '+79120000003;Vera;vera@;;;;;;',
  '+79120000001;Anna again;;;;10;;;',
  '+79120000004;Gleb;;;;-5;;;',
  '+79120000005;Dina;;;;;platinum;;',
  '+79120000006;Blacklisted;;;;;;;',
].join('\n');

describeEachDb('guest CSV import', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let programId: string;

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Importer');
    l = loyalty(t, b);
    programId = (
      await l.program({
        name: 'Old base',
        rules: { kind: 'bonus', accrualPercent: 5 },
        welcomeBonusPoints: 100,
        levels: [
          { code: 'base', name: 'Base', threshold: 0 },
          { code: 'silver', name: 'Silver', threshold: 1000000 },
        ],
      })
    ).id;
    await l.admin('post', '/v1/admin/blacklist').send({ phone: '+79120000006' }).expect(201);
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  const upload = (csv: string, query: Record<string, string>) =>
    t.http.post('/v1/admin/imports').query(query).set('Cookie', b.ownerCookie).set('content-type', 'text/csv').send(csv);
  const finish = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      if (!(await t.hub.services.imports.work(5000, id))) await new Promise((r) => setTimeout(r, 50));
      const r = await l.admin('get', `/v1/admin/imports/${id}`).expect(200);
      if (['done', 'failed', 'canceled'].includes(r.body.state)) return r.body;
    }
    throw new Error('import did not finish');
  };

  it('a dry run checks every row and keeps nothing', async () => {
    const r = await upload(CSV, { programId, dryRun: 'true' }).expect(202);
    expect(r.body).toMatchObject({ totalRows: 8, dryRun: true, columns: expect.arrayContaining(['phone', 'favourite_drink']) });
    const done = await finish(r.body.id);
    expect(done).toMatchObject({ state: 'done', processedRows: 8, progress: 1, created: 2, failed: 4, skipped: 2 });
    expect(done.errors.map((e: { row: number; field: string }) => `${e.row}:${e.field}`)).toEqual(['4:phone', '5:email', '6:phone', '7:points', '8:level', '9:phone']);
    expect(await t.hub.db.manager.getRepository(Guest).countBy({ businessId: b.businessId })).toBe(0);
  });

  it('the real run creates guests and cards with their balances and levels, no welcome bonus', async () => {
    const r = await upload(CSV, { programId, fileName: 'old-crm.csv' }).expect(202);
    const done = await finish(r.body.id);
    expect(done).toMatchObject({ lastError: null, state: 'done', created: 2, failed: 4, skipped: 2, fileName: 'old-crm.csv' });
    const anna = await l.admin('get', '/v1/admin/guests').query({ q: '+79120000001' }).expect(200);
    expect(anna.body.items[0]).toMatchObject({ name: 'Анна', email: 'anna@example.com', birthday: '1990-05-17', gender: 'female', source: 'import', attributes: { favourite_drink: 'latte' } });
    const g = await l.admin('get', `/v1/admin/guests/${anna.body.items[0].id}`).expect(200);
    expect(g.body.cards[0]).toMatchObject({ number: '4000000000001', pointsBalance: 150, levelCode: 'silver' });
    const lookup = await l.pos('get', '/v1/pos/cards/lookup').query({ number: '4000000000001' }).expect(200);
    expect(lookup.body.card.pointsAvailable).toBe(150);
    const hist = await l.admin('get', '/v1/admin/audit').query({ targetId: r.body.id }).expect(200);
    expect(hist.body.items.map((i: { action: string }) => i.action)).toEqual(['import.finished', 'import.started']);
  });

  it('resumes after an interruption exactly where it stopped (no row twice)', async () => {
    const rows = ['phone,name,points'];
    for (let i = 0; i < 1200; i++) rows.push(`+7913${String(i).padStart(7, '0')},Guest ${i},${i % 7}`);
    // Uploaded through the service (no background pass), so the test decides when rows are applied.
    const imp = await t.hub.services.imports.upload({ businessId: b.businessId, actor: { type: 'staff', id: 'test' } }, Readable.from([rows.join('\n')]), { programId, dryRun: false });
    const r = { body: { id: imp.id } };
    // One batch, then the "crash": the import is left running half-way.
    await t.hub.services.imports.work(1, r.body.id);
    const mid = await l.admin('get', `/v1/admin/imports/${r.body.id}`).expect(200);
    expect(mid.body.processedRows).toBeGreaterThan(0);
    expect(mid.body.processedRows).toBeLessThan(1200);
    await t.hub.db.manager.query(`UPDATE guest_imports SET state = 'failed' WHERE id = ?`, [r.body.id]);
    await l.admin('post', `/v1/admin/imports/${r.body.id}/resume`).expect(200);
    const done = await finish(r.body.id);
    expect(done).toMatchObject({ state: 'done', processedRows: 1200, created: 1200, failed: 0 });
    const count = await t.hub.db.manager.query(`SELECT COUNT(*) AS n FROM guests WHERE businessId = ? AND phone LIKE '+7913%'`, [b.businessId]);
    expect(Number(count[0].n)).toBe(1200);
  });

  it('refuses a file without a phone column, a non-CSV upload and other media types', async () => {
    const r = await upload('name,email\nA,a@b.c', {}).expect(400);
    expect(r.body.code).toBe('missing_phone_column');
    await upload('', {}).expect(400);
    await t.http.post('/v1/admin/imports').set('Cookie', b.ownerCookie).set('content-type', 'application/xml').send('<a/>').expect(415);
    await upload('phone\n+79990000000', { programId: '00000000-0000-7000-8000-000000000000' }).expect(404);
  });
});
