/**
 * The embedded demo (issue 18): a café in its own language with eight weeks of sales in a weekly
 * rhythm, cards of every kind and a published registration form; DEMO_LOCALE=en gives the same
 * café in English.
 */
import { seedDemo } from '../../src/seed';
import { createTestHub, TestHub } from '../harness';

const WEEK = 7 * 86_400_000;

describe('the embedded demo', () => {
  let ru: TestHub;
  let en: TestHub;
  beforeAll(async () => {
    ru = await createTestHub();
    en = await createTestHub();
  });
  afterAll(async () => {
    await ru.close();
    await en.close();
  });

  it('is a Russian café by default: Russian names everywhere, sales over eight weeks with busy weekends, every kind of card, a published form', async () => {
    const info = (await seedDemo(ru.hub, 'http://localhost:3000'))!;
    const q = <T>(sql: string, params: unknown[] = []) => ru.hub.db.manager.query(sql, params) as Promise<T[]>;
    const [business] = await q<{ name: string; locale: string }>(`SELECT name, locale FROM businesses WHERE id = ?`, [info.businessId]);
    expect(business).toEqual({ name: 'Кофейня «Зерно»', locale: 'ru' });
    const cyrillic = /^[А-ЯЁа-яё«»0-9 .,%-]+$/;
    for (const r of await q<{ name: string }>(`SELECT name FROM programs WHERE businessId = ?`, [info.businessId])) expect(r.name).toMatch(cyrillic);
    for (const r of await q<{ name: string }>(`SELECT name FROM locations WHERE businessId = ?`, [info.businessId])) expect(r.name).toMatch(cyrillic);
    const guests = await q<{ name: string }>(`SELECT name FROM guests WHERE businessId = ?`, [info.businessId]);
    expect(guests.length).toBe(40);
    for (const g of guests) expect(g.name).toMatch(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$/);
    // Cards of every kind.
    const kinds = await q<{ kind: string }>(`SELECT DISTINCT p.kind kind FROM cards c JOIN programs p ON p.id = c.programId WHERE c.businessId = ?`, [info.businessId]);
    expect(kinds.map((k) => k.kind).sort()).toEqual(['bonus', 'coupon', 'discount', 'gift', 'stamp']);
    // Sales spread over the last eight weeks, each week having some, weekends busier than Mondays.
    const sales = await q<{ createdAt: string | Date }>(`SELECT createdAt FROM checkouts WHERE businessId = ?`, [info.businessId]);
    const times = sales.map((s) => new Date(typeof s.createdAt === 'string' ? s.createdAt.replace(' ', 'T') + 'Z' : s.createdAt).getTime());
    const now = Date.now();
    expect(Math.min(...times)).toBeGreaterThan(now - 8 * WEEK - 86_400_000);
    expect(Math.max(...times)).toBeLessThan(now);
    for (let w = 0; w < 8; w++) expect(times.filter((t) => t <= now - w * WEEK && t > now - (w + 1) * WEEK).length).toBeGreaterThan(10);
    const byDay = [0, 0, 0, 0, 0, 0, 0];
    for (const t of times) byDay[new Date(t + 3 * 3_600_000).getUTCDay()]!++;
    expect(byDay[6]).toBeGreaterThan(byDay[1]! * 1.5);
    // Home and the analytics read the same eight weeks.
    const [rollups] = await q<{ n: number }>(`SELECT COUNT(DISTINCT day) n FROM analytics_daily WHERE businessId = ?`, [info.businessId]);
    expect(Number(rollups!.n)).toBeGreaterThan(40);
    // One published registration form, with the privacy policy link on its page.
    const forms = await q<{ slug: string; active: number | boolean }>(`SELECT slug, active FROM engagement_forms WHERE businessId = ?`, [info.businessId]);
    expect(forms).toHaveLength(1);
    expect(Boolean(forms[0]!.active)).toBe(true);
    const page = await ru.http.get(`/join/${forms[0]!.slug}`).expect(200);
    expect(page.text).toContain('Карта гостя «Зерна»');
    expect(page.text).toContain('https://example.com/privacy');
    // The README's curl: guest 1 has a bonus card.
    const lookup = await ru.http.get('/v1/pos/cards/lookup').query({ phone: info.sampleGuestPhone as string }).set('Authorization', `Bearer ${info.terminalKey}`).expect(200);
    expect(lookup.body.card.kind).toBe('bonus');
    // A second start keeps the data.
    expect(await seedDemo(ru.hub, 'http://localhost:3000')).toBeUndefined();
  });

  it('is the same café in English with DEMO_LOCALE=en', async () => {
    const info = (await seedDemo(en.hub, 'http://localhost:3000', 'en'))!;
    const q = <T>(sql: string, params: unknown[] = []) => en.hub.db.manager.query(sql, params) as Promise<T[]>;
    const [business] = await q<{ name: string; locale: string }>(`SELECT name, locale FROM businesses WHERE id = ?`, [info.businessId]);
    expect(business).toEqual({ name: 'Grain Coffee House', locale: 'en' });
    for (const r of await q<{ name: string }>(`SELECT name FROM programs WHERE businessId = ?`, [info.businessId])) expect(r.name).toMatch(/^[A-Za-z ]+$/);
    for (const g of await q<{ name: string }>(`SELECT name FROM guests WHERE businessId = ?`, [info.businessId])) expect(g.name).toMatch(/^[A-Za-z]+ [A-Za-z]+$/);
  });
});
