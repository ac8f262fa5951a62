import { PNG } from 'pngjs';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Guest } from '../../src/modules/guests/guests.entity';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { Review } from '../../src/modules/reviews/reviews.entity';
import { generateGuests } from '../../../fixtures/src/demo-data/generate';
import { cardLinks, pathOf } from '../wallet/wallet-fixtures';

const parseCsv = (text: string) =>
  text
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');

describeEachDb('UTM tags, reviews and CSV exports', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let programId: string;
  let cardPrefix: string;
  const put = (path: string) => t.http.put(path).set('Cookie', b.ownerCookie);

  beforeAll(async () => {
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test' } });
    b = await t.business('Tag café');
    l = loyalty(t, b);
    const p = await l.program({ name: 'Club', rules: { kind: 'bonus', accrualPercent: 5 } });
    programId = p.id;
    cardPrefix = (await l.admin('get', `/v1/admin/programs/${p.id}`).expect(200)).body.cardPrefix;
    await l
      .admin('post', '/v1/admin/engagement/forms')
      .send({
        programId,
        slug: 'tag-join',
        title: 'Join',
        fields: { name: 'optional', birthday: 'hidden', email: 'hidden' },
        consentText: 'I agree to the processing of my personal data.',
      })
      .expect(201);
  });
  afterAll(() => t.close());

  it('makes a tag with its registration link and QR code, and counts registrations, installs and revenue', async () => {
    const bad = await l.admin('post', '/v1/admin/utm-tags').send({ name: 'Flyers', source: 'flyer', formSlug: 'no-such-page' });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([422, 'formSlug']);
    const tag = (
      await l
        .admin('post', '/v1/admin/utm-tags')
        .send({ name: 'Table tents', source: 'TableTent', campaign: 'Spring', medium: 'print', formSlug: 'tag-join' })
        .expect(201)
    ).body;
    expect(tag.url).toBe('https://hub.example.test/join/tag-join?utm_source=tabletent&utm_campaign=spring&utm_medium=print');
    await l.admin('post', '/v1/admin/utm-tags').send({ name: 'Again', source: 'tabletent', campaign: 'spring', formSlug: 'tag-join' }).expect(409);

    const a = await l.guestWithCard(programId, { name: 'Anna', utm: { source: 'tabletent', campaign: 'spring' } });
    const v = await l.guestWithCard(programId, { name: 'Vlad', utm: { source: 'TableTent', campaign: 'SPRING' } });
    await l.guestWithCard(programId, { name: 'Other', utm: { source: 'vk', campaign: 'spring' } });
    await t.hub.db.manager.getRepository(Guest).update({ id: a.guest.id }, { spendMinor: 120000, visits: 2 });
    await t.hub.db.manager.getRepository(Guest).update({ id: v.guest.id }, { spendMinor: 30000, visits: 1 });
    const regs = t.hub.db.manager.getRepository(WalletRegistration);
    await regs.insert(regs.create({ businessId: b.businessId, cardId: a.card.id, deviceLibraryId: 'google', passTypeId: 'c', serial: 'o', pushToken: '' }));
    const list = (await l.admin('get', '/v1/admin/utm-tags').expect(200)).body.items;
    expect(list).toEqual([expect.objectContaining({ id: tag.id, registrations: 2, installs: 1, revenueMinor: 150000 })]);

    const raw = (path: string) =>
      l
        .admin('get', path)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        });
    const svg = await raw(`/v1/admin/utm-tags/${tag.id}/qr.svg`).expect(200);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect((svg.body as Buffer).toString()).toContain('<svg');
    const png = await raw(`/v1/admin/utm-tags/${tag.id}/qr.png`);
    expect(png.status).toBe(200);
    expect(PNG.sync.read(png.body as Buffer).width).toBe(1024);
    await l.admin('delete', `/v1/admin/utm-tags/${tag.id}`).expect(204);
    expect((await l.admin('get', '/v1/admin/utm-tags').expect(200)).body.items).toEqual([]);
  });

  it('asks every reviewer to post on the maps by default, and only 4–5★ ones after an acknowledged opt-in', async () => {
    const page = await t.http.get(`/review/${b.businessId}?ch=pass`).expect(200);
    expect(page.text).toContain('Tag café');
    expect(page.text).toContain('#1E1E2E'); // the pass's background colour
    expect(page.text).toContain('name="ch" value="pass"');

    // Every card's back side links to the review page unless the owner set another link.
    const { card } = await l.guestWithCard(programId, { name: 'Reviewer' });
    const cardPage = await t.http.get(pathOf((await cardLinks(t, b, card.id)).cardPageUrl)).expect(200);
    expect(cardPage.text).toContain(`<a id="review" href="https://hub.example.test/review/${b.businessId}?ch=pass"`);

    const settings = (await l.admin('get', '/v1/admin/reviews/settings').expect(200)).body;
    expect(settings).toMatchObject({ onlyHighRatings: false, links: { pass: `https://hub.example.test/review/${b.businessId}?ch=pass` } });
    await put('/v1/admin/reviews/settings')
      .send({ yandexUrl: 'https://yandex.ru/maps/org/42', twogisUrl: 'https://2gis.ru/moscow/firm/42', googleUrl: null, onlyHighRatings: false })
      .expect(200);
    const low = await t.http.post(`/review/${b.businessId}`).type('form').send({ rating: '2', text: 'Cold coffee', ch: 'pass' }).expect(200);
    const links = [...low.text.matchAll(/href="([^"]+\/go\/[^"]+)"/g)].map((m) => m[1]!);
    expect(links).toHaveLength(2);
    const go = await t.http.get(new URL(links[0]!).pathname).expect(302);
    expect(go.headers.location).toBe('https://yandex.ru/maps/org/42');
    const stored = await t.hub.db.manager.getRepository(Review).findOneByOrFail({ businessId: b.businessId, rating: 2 });
    expect(stored).toMatchObject({ text: 'Cold coffee', channel: 'pass', offeredMap: 'yandex' });
    expect(stored.redirectedAt).toBeInstanceOf(Date);

    const refused = await put('/v1/admin/reviews/settings').send({
      yandexUrl: 'https://yandex.ru/maps/org/42',
      twogisUrl: null,
      googleUrl: null,
      onlyHighRatings: true,
    });
    expect([refused.status, refused.body.code, refused.body.errors?.[0]?.field]).toEqual([422, 'review_gating_not_acknowledged', 'acknowledgeGating']);
    await put('/v1/admin/reviews/settings')
      .send({ yandexUrl: 'https://yandex.ru/maps/org/42', twogisUrl: null, googleUrl: null, onlyHighRatings: true, acknowledgeGating: true })
      .expect(200);
    const gatedLow = await t.http.post(`/review/${b.businessId}`).type('form').send({ rating: '3' }).expect(200);
    expect(gatedLow.text).not.toContain('/go/');
    const high = await t.http.post(`/review/${b.businessId}`).type('form').send({ rating: '5', text: 'Lovely' }).expect(200);
    expect([...high.text.matchAll(/\/go\//g)]).toHaveLength(1);
    await t.http.post(`/review/${b.businessId}`).type('form').send({ rating: '9' }).expect(400);
    await put('/v1/admin/reviews/settings').send({ yandexUrl: 'http://yandex.ru/x', twogisUrl: null, googleUrl: null, onlyHighRatings: false }).expect(400);

    const all = (await l.admin('get', '/v1/admin/reviews').expect(200)).body.items;
    expect(all.map((r: { rating: number }) => r.rating)).toEqual([5, 3, 2]);
  });

  it('exports lists as streamed CSV with the current filter', async () => {
    await l.guestWithCard(programId, { name: '=HYPERLINK("http://evil")', utm: { source: 'tabletent' } });
    const clients = parseCsv((await l.admin('get', '/v1/admin/exports/clients.csv').query({ utmSource: 'tabletent' }).expect(200)).text);
    expect(clients[0]).toBe(
      'id,phone,name,email,gender,birthday,source,utmSource,utmCampaign,visits,spendMinor,firstPurchaseAt,lastPurchaseAt,marketingConsent,status,createdAt,cardNumber,pointsBalance,levelCode',
    );
    expect(clients).toHaveLength(4);
    expect(clients.some((r) => r.includes(`"'=HYPERLINK(""http://evil"")"`))).toBe(true);
    await l.admin('get', '/v1/admin/exports/clients.csv').query({ ageFrom: '40', ageTo: '30' }).expect(422);

    // More rows than one page (1000): every one arrives.
    await generateGuests(t.hub.db, { businessId: b.businessId, programId, cardPrefix, count: 2100, startIndex: 500_000, startingPoints: 0 });
    const everyone = parseCsv((await l.admin('get', '/v1/admin/exports/clients.csv').expect(200)).text);
    expect(everyone).toHaveLength(1 + 2100 + 5);
    expect(new Set(everyone.slice(1).map((r) => r.split(',')[0])).size).toBe(2105);
    // Phones stay as they are (a signed number is no formula).
    expect(everyone[1]).toMatch(/^[0-9a-f-]{36},\+7\d{10},/);

    const reviews = parseCsv((await l.admin('get', '/v1/admin/exports/reviews.csv').query({ rating: '5' }).expect(200)).text);
    expect(reviews).toHaveLength(2);
    expect(reviews[1]).toContain(',5,Lovely,link,');
    const purchases = parseCsv((await l.admin('get', '/v1/admin/exports/purchases.csv').expect(200)).text);
    expect(purchases).toEqual([
      'id,createdAt,status,locationId,terminalId,cashierId,cardNumber,programName,guestName,guestPhone,totalMinor,discountMinor,pointsRedeemed,pointsAccrued,refundedMinor,receiptNumber',
    ]);
    const history = parseCsv((await l.admin('get', '/v1/admin/exports/history.csv').query({ action: 'utm_tag.created' }).expect(200)).text);
    expect(history).toHaveLength(2);
  });
});
