import pino from 'pino';
import type { EntitySchema, ObjectLiteral, Repository } from 'typeorm';
import type { ConnectorStore } from '@loyalty/sdk';
import { WebhookAttemptEntity, WebhookDeliveryEntity } from '@loyalty/connector-webhooks/src/entities';
import { purgeOldDeliveries } from '@loyalty/connector-webhooks/src/privacy';
import { loadConfig } from '../../src/config';
import { Db } from '../../src/db/db';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { purgePublishedOutbox } from '../../src/bus/outbox.privacy';
import { SmsCode, SmsPolicy } from '../../src/modules/engagement/engagement.entity';
import { Guest } from '../../src/modules/guests/guests.entity';
import { FakeSmsRu } from '../../../fixtures/src/sms/fake-smsru';
import { createTestHub, describeEachDb, freshMariaDb, type TestBusiness, type TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Hub } from '../../src/hub';
import { auditCount, eraseAndScan, makeForm, privacyEnv, probeEnumeration, pumpFromManyIps, pumpFromOneIp, SMS_API_ID } from './scenarios';

/** Issue 19, guest privacy: SMS pumping caps, no enumeration, complete erasure, retention. */
describeEachDb('guest privacy', (backend) => {
  let sms: FakeSmsRu;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;

  beforeAll(async () => {
    sms = new FakeSmsRu({ apiId: SMS_API_ID });
    sms.install();
    t = await createTestHub({ db: backend, env: privacyEnv });
    // The webhooks connector runs in-process (it keeps the delivery log the erasure must clean).
    await t.hub.connectors.start();
    b = await t.business('Privacy Café');
    l = loyalty(t, b);
  });
  afterAll(async () => {
    await t.close();
    sms.uninstall();
  });

  it('SMS pumping: 60 codes to 60 phones from one address at once — 10 accepted, the rest 429 with Retry-After', async () => {
    await makeForm(t, b, `pump-ip-${backend}`);
    const f = await pumpFromOneIp(t, `pump-ip-${backend}`, sms, 60);
    expect(f).toEqual({ attempts: 60, accepted: 10, smsSent: 10, statuses: { '201': 10, '429 sms_ip_limit': 50 } });
    const r = await t.http.post(`/v1/public/forms/pump-ip-${backend}/sms-codes`).set('X-Forwarded-For', '203.0.113.7').send({ phone: '+79265550000' });
    expect([r.status, r.body.code]).toEqual([429, 'sms_ip_limit']);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(3000);
    // Another address is not affected.
    await t.http.post(`/v1/public/forms/pump-ip-${backend}/sms-codes`).set('X-Forwarded-For', '203.0.113.8').send({ phone: '+79265550000' }).expect(201);
  });

  it('SMS pumping from many addresses: the page’s hourly cap, then the daily budget (one audit row, a console alert); raising the budget reopens', async () => {
    const slug = `pump-form-${backend}`;
    await makeForm(t, b, slug);
    await l.admin('patch', '/v1/admin/engagement/sms-policy').send({ codesPerFormPerHour: 15 }).expect(200);
    const perForm = await pumpFromManyIps(t, slug, sms, 40);
    expect(perForm).toEqual({ attempts: 40, accepted: 15, smsSent: 15, statuses: { '201': 15, '429 sms_form_limit': 25 } });

    const policy = (await l.admin('get', '/v1/admin/engagement/sms-policy').expect(200)).body;
    const spent = policy.today.sent as number;
    expect(spent).toBe(10 + 1 + 15);
    await l
      .admin('patch', '/v1/admin/engagement/sms-policy')
      .send({ dailyBudget: spent + 5, codesPerFormPerHour: 1000 })
      .expect(200);
    const slug2 = `pump-budget-${backend}`;
    await makeForm(t, b, slug2);
    const budget = await pumpFromManyIps(t, slug2, sms, 30, 79280000000);
    expect(budget).toEqual({ attempts: 30, accepted: 5, smsSent: 5, statuses: { '201': 5, '429 sms_budget_exhausted': 25 } });
    const refused = await t.http.post(`/v1/public/forms/${slug2}/sms-codes`).set('X-Forwarded-For', '198.18.0.1').send({ phone: '+79288880000' });
    expect(refused.body).toMatchObject({ status: 429, code: 'sms_budget_exhausted' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await auditCount(t, b.businessId, 'sms.daily_budget_reached')).toBe(1);
    const notices = (await l.admin('get', '/v1/admin/engagement/notices').expect(200)).body as { code: string }[];
    expect(notices.map((n) => n.code)).toContain('sms_budget_exhausted');
    const now = (await l.admin('get', '/v1/admin/engagement/sms-policy').expect(200)).body;
    expect(now.today).toMatchObject({ sent: spent + 5, exhaustedAt: expect.any(String) });

    await l.admin('patch', '/v1/admin/engagement/sms-policy').send({ dailyBudget: 10_000 }).expect(200);
    await t.http.post(`/v1/public/forms/${slug2}/sms-codes`).set('X-Forwarded-For', '198.18.0.2').send({ phone: '+79288880001' }).expect(201);
    const after = (await l.admin('get', '/v1/admin/engagement/notices').expect(200)).body as { code: string }[];
    expect(after.map((n) => n.code)).not.toContain('sms_budget_exhausted');
    expect((await l.admin('get', '/v1/admin/engagement/sms-policy')).body.dailyBudget).toBe(10_000);
  });

  it('sends SMS only to the business’s own country (+7 for a RUB business) unless more prefixes are allowed', async () => {
    const slug = `country-${backend}`;
    await makeForm(t, b, slug);
    const policy = (await l.admin('get', '/v1/admin/engagement/sms-policy')).body;
    expect(policy).toMatchObject({ allowedPrefixes: null, effectivePrefixes: ['+7'] });
    const before = sms.sent.length;
    const us = await t.http.post(`/v1/public/forms/${slug}/sms-codes`).set('X-Forwarded-For', '198.19.0.1').send({ phone: '+12025550123' });
    expect([us.status, us.body.code, us.body.errors?.[0]?.field]).toEqual([422, 'phone_country_not_allowed', 'phone']);
    const bad = await l.admin('patch', '/v1/admin/engagement/sms-policy').send({ allowedPrefixes: ['7'] });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'allowedPrefixes[0]']);
    await l
      .admin('patch', '/v1/admin/engagement/sms-policy')
      .send({ allowedPrefixes: ['+7', '+1'] })
      .expect(200);
    await t.http.post(`/v1/public/forms/${slug}/sms-codes`).set('X-Forwarded-For', '198.19.0.1').send({ phone: '+12025550123' }).expect(201);
    expect(sms.sent.length).toBe(before + 1);
    await l.admin('patch', '/v1/admin/engagement/sms-policy').send({ allowedPrefixes: null }).expect(200);
  });

  it('no enumeration: a page without SMS answers the same for new, registered and blacklisted phones and texts the card link only to the phone', async () => {
    const noSms = `nosms-${backend}`;
    const withSms = `withsms-${backend}`;
    await makeForm(t, b, noSms, { smsVerification: false });
    await makeForm(t, b, withSms);
    const sent = sms.sent.length;
    const f = await probeEnumeration(t, b, noSms, withSms);
    expect(f.detail).toEqual([]);
    expect(f).toMatchObject({ distinguishable: 0, linksLeaked: 0 });
    // The real owner's profile was not touched by "Mallory"; each non-blacklisted phone got its card link by SMS.
    const owner = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ businessId: b.businessId, phone: '+79281110001' });
    expect(owner.name).toBe('Real Owner');
    const texts = sms.sent.slice(sent);
    expect(texts.filter((m) => m.to === '79281110001' && m.msg.includes('/card/')).length).toBe(2);
    expect(texts.some((m) => m.to === '79281110002')).toBe(false);
    expect(texts.filter((m) => m.to === '79281110003' && m.msg.includes('/card/')).length).toBe(1);
    // The new phone with an unknown referral code is registered without it and gets its link.
    expect(texts.filter((m) => m.to === '79281110006' && m.msg.includes('/card/')).length).toBe(1);
    expect(await auditCount(t, b.businessId, 'sms.blacklisted_phone')).toBe(3);
    // The page tells the guest where the link goes, and answers them in the business's language.
    const html = await t.http.get(`/join/${noSms}`).expect(200);
    expect(html.text).toContain('Ссылка на вашу карту придёт SMS на этот номер.');
    expect(html.text).not.toContain('send-code');
    const answer = await t.http
      .post(`/v1/public/forms/${noSms}/registrations`)
      .set('X-Forwarded-For', '192.0.2.12')
      .send({ phone: '+79281110007', consent: true });
    expect([answer.status, answer.body]).toEqual([202, { status: 'link_sent', detail: 'Проверьте телефон: ссылка на вашу карту отправлена в SMS.' }]);
    // The console is told the page registers without verification.
    const notices = (await l.admin('get', '/v1/admin/engagement/notices')).body as { code: string; slug?: string }[];
    expect(notices).toContainEqual(expect.objectContaining({ code: 'sms_verification_off', slug: noSms }));
    expect(notices.filter((n) => n.code === 'sms_verification_off').map((n) => n.slug)).toEqual([noSms]);
  });

  it('erasure leaves no trace: phone, names and e-mail are in no text column of any table', async () => {
    await makeForm(t, b, `erase-${backend}`);
    const f = await eraseAndScan(t, b, sms, `erase-${backend}`);
    expect(f.tracesBefore).toBeGreaterThan(5);
    expect(f.traces).toEqual([]);
    expect(f.tables).toBeGreaterThan(30);
  });

  it('retention jobs delete old SMS codes and published events, keep recent ones and unsent events', async () => {
    const old = new Date(Date.now() - 8 * 24 * 3600_000);
    const codes = t.hub.db.manager.getRepository(SmsCode);
    const some = await codes.find({ where: { businessId: b.businessId }, take: 3 });
    expect(some.length).toBe(3);
    await codes.update({ id: some[0]!.id }, { createdAt: old });
    const total = await codes.countBy({ businessId: b.businessId });
    expect(await t.hub.services.engagement.purgeExpiredCodes()).toBe(1);
    expect(await codes.countBy({ businessId: b.businessId })).toBe(total - 1);

    const outbox = t.hub.db.manager.getRepository(OutboxMessage);
    const rows = await outbox.find({ order: { seq: 'ASC' }, take: 2 });
    await outbox.update({ seq: rows[0]!.seq }, { sentAt: old });
    await outbox.update({ seq: rows[1]!.seq }, { sentAt: null, occurredAt: old });
    expect(await purgePublishedOutbox(t.hub.db)).toBe(1);
    expect(await outbox.countBy({ seq: rows[0]!.seq })).toBe(0);
    expect(await outbox.countBy({ seq: rows[1]!.seq })).toBe(1);

    // The webhooks connector's delivery log: finished deliveries go after 30 days, with their attempts.
    const db = t.hub.db;
    const store = {
      repository: <E extends ObjectLiteral>(e: EntitySchema<E>) => db.manager.getRepository(e),
      transaction: <T>(fn: (tx: { repository: <E extends ObjectLiteral>(e: EntitySchema<E>) => Repository<E> }) => Promise<T>) =>
        db.transaction((em) => fn({ repository: (e) => em.getRepository(e) })),
    } as unknown as ConnectorStore;
    const deliveries = db.manager.getRepository(WebhookDeliveryEntity);
    const all = await deliveries.find({ where: { businessId: b.businessId } });
    expect(all.length).toBeGreaterThan(1);
    const aged = all.find((d) => d.status === 'succeeded')!;
    await deliveries.update({ id: aged.id }, { updatedAt: new Date(Date.now() - 31 * 24 * 3600_000) });
    expect(await db.manager.getRepository(WebhookAttemptEntity).countBy({ deliveryId: aged.id })).toBeGreaterThan(0);
    expect(await purgeOldDeliveries(store, new Date())).toBe(1);
    expect(await deliveries.countBy({ businessId: b.businessId })).toBe(all.length - 1);
    expect(await db.manager.getRepository(WebhookAttemptEntity).countBy({ deliveryId: aged.id })).toBe(0);
  });
});

describeEachDb('SMS caps across two hubs on one database', (backend) => {
  it('never accepts more codes than the cap, however the requests interleave', async () => {
    const sms = new FakeSmsRu({ apiId: SMS_API_ID });
    sms.install();
    // MariaDB: two hubs, two connection pools, one database. SQLite (one process): one hub, concurrent requests.
    let hubs: TestHub[];
    if (backend === 'mariadb') {
      const fresh = await freshMariaDb();
      // As main.ts opens it: with the tables of the connectors the hub loads.
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...privacyEnv });
      const { storage } = Hub.loadConnectors({ config, hubSecret: 'test-secret-'.padEnd(48, 'x'), log: pino({ level: 'silent' }) });
      const open = () => Db.open({ url: fresh.url, poolSize: 20, connectors: storage });
      const a = await createTestHub({ db: backend, env: privacyEnv, open: { db: await open(), drop: async () => undefined } });
      const c = await createTestHub({ db: backend, env: privacyEnv, open: { db: await open(), drop: fresh.drop } });
      hubs = [a, c];
    } else hubs = [await createTestHub({ db: backend, env: privacyEnv })];
    try {
      const t = hubs[0]!;
      const b = await t.business('Two hubs');
      await makeForm(t, b, `race-${backend}`);
      await t.http.patch('/v1/admin/engagement/sms-policy').set('Cookie', b.ownerCookie).send({ dailyBudget: 7 }).expect(200);
      const res = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          hubs[i % hubs.length]!.http.post(`/v1/public/forms/race-${backend}/sms-codes`)
            .set('X-Forwarded-For', `198.51.100.${i + 1}`)
            .send({ phone: `+7926111${String(i).padStart(4, '0')}` }),
        ),
      );
      const accepted = res.filter((r) => r.status === 201).length;
      expect(accepted).toBe(7);
      expect(res.filter((r) => r.status !== 201).every((r) => r.body.code === 'sms_budget_exhausted')).toBe(true);
      const p = await t.hub.db.manager.getRepository(SmsPolicy).findOneByOrFail({ businessId: b.businessId });
      expect(p.sentOnDay).toBe(7);
      expect(await auditCount(t, b.businessId, 'sms.daily_budget_reached')).toBe(1);
      expect(sms.sent.length).toBe(7);
    } finally {
      for (const h of hubs.reverse()) await h.close();
      sms.uninstall();
    }
  });
});
