import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { FormRegistration, SmsCode } from '../../src/modules/engagement/engagement.entity';
import { Guest } from '../../src/modules/guests/guests.entity';
import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import { inspectPkpass } from '../../../fixtures/src/apple/pkpass';
import { FakeSmsRu } from '../../../fixtures/src/sms/fake-smsru';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { binary, pathOf, uploadAppleCert } from '../wallet/wallet-fixtures';

const API_ID = 'A1B2C3D4-TEST-API-ID';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/** Registration through the public page with SMS.ru (a faithful fake), then the card page. */
describeEachDb('guest registration page', (backend) => {
  let certs: AppleTestCerts;
  let sms: FakeSmsRu;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };
  let slug: string;

  beforeAll(async () => {
    certs = makeAppleTestCerts();
    sms = new FakeSmsRu({ apiId: API_ID });
    sms.install();
    t = await createTestHub({
      db: backend,
      env: { PUBLIC_URL: 'https://hub.example.test', SMS_PROVIDER: 'smsru', SMSRU_API_ID: API_ID, APPLE_WWDR_CERT_FILE: certs.wwdrFile },
    });
    b = await t.business('Coffee House');
    l = loyalty(t, b);
    await uploadAppleCert(t, b, certs, false);
    bonus = await l.program({
      name: 'Coffee points',
      rules: { kind: 'bonus', accrualPercent: 5 },
      welcomeBonusPoints: 100,
      referral: { referrerPoints: 0, refereePoints: 0 },
    });
    slug = `coffee-${backend}`;
    const form = await t.http
      .post('/v1/admin/engagement/forms')
      .set('Cookie', b.ownerCookie)
      .send({
        programId: bonus.id,
        slug,
        title: 'Join the Coffee Club',
        fields: { name: 'required', birthday: 'optional', email: 'hidden' },
        variables: [
          { key: 'favourite_drink', label: 'Favourite drink', type: 'select', options: ['Latte', 'Espresso'], required: true },
          { key: 'cups_a_week', label: 'Cups a week', type: 'number' },
        ],
        consentText: 'I agree to the processing of my personal data.',
        marketingConsentText: 'Send me offers',
      });
    if (form.status !== 201) throw new Error(JSON.stringify(form.body));
    // Every request here comes from one address: lift the per-IP cap (its own tests are in privacy.e2e-spec).
    await t.http.patch('/v1/admin/engagement/sms-policy').set('Cookie', b.ownerCookie).send({ codesPerIpPerHour: 1000 }).expect(200);
  });
  afterAll(async () => {
    await t.close();
    sms.uninstall();
    certs.cleanup();
  });

  const api = (path: string) => `/v1/public/forms/${slug}${path}`;
  const requestCode = (phone: string) => t.http.post(api('/sms-codes')).send({ phone });
  /** Moves the engagement module's clock forward (a phone's resend cooldown is a minute). */
  const later = (seconds: number) => {
    const e = t.hub.services.engagement;
    const before = e.now;
    e.now = () => new Date(before().getTime() + seconds * 1000);
  };
  const base = { name: 'Anna', consent: true, variables: { favourite_drink: 'Latte' } };

  it('serves the page as HTML with a script file, no inline script, and the UTM tags and referral code of the link', async () => {
    const res = await t.http.get(`/join/${slug}`).query({ utm_source: 'instagram', utm_campaign: 'spring"><script>', ref: 'K7M2Q9PX' }).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const html = res.text;
    expect(html).toMatch(/<script src="\/static\/engagement\/register.js"><\/script>/);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/static/engagement/register.js">']);
    expect(html).toContain('data-utm="source" value="instagram"');
    expect(html).toContain('data-utm="campaign" value="spring&quot;&gt;&lt;script&gt;"');
    expect(html).toContain('value="K7M2Q9PX"');
    expect(html).toContain('data-var="favourite_drink"');
    expect(html).toContain('name="consent" required');
    expect(html).not.toContain('name="email"');
    const js = await t.http.get('/static/engagement/register.js').expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.text).toContain('/sms-codes');
    const missing = await t.http.get('/join/no-such-page').expect(404);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
    const def = await t.http.get(api('')).expect(200);
    expect(def.body).toMatchObject({ slug, businessName: 'Coffee House', programName: 'Coffee points', smsVerification: true });
  });

  it('registers with the SMS code: guest with consent, UTM, variables and referrer; card issued; events emitted', async () => {
    const referrer = await l.guestWithCard(bonus.id);
    const phone = '+79161234567';
    const code = await requestCode('8 (916) 123-45-67').expect(201);
    expect(code.body).toEqual({ requestId: expect.any(String), expiresInSeconds: 600, codeLength: 6, resendAfterSeconds: 60 });
    expect(sms.lastTo(phone)).toMatchObject({ to: '79161234567' });
    expect(sms.lastTo(phone)!.msg).toMatch(/Coffee House/);
    const res = await t.http
      .post(api('/registrations'))
      .set('User-Agent', IPHONE)
      .send({
        ...base,
        phone,
        requestId: code.body.requestId,
        code: sms.codeFor(phone),
        marketingConsent: true,
        utm: { source: 'instagram', campaign: 'spring' },
        referralCode: referrer.guest.referralCode,
        variables: { favourite_drink: 'Latte', cups_a_week: 7 },
      })
      .expect(201);
    expect(res.body).toEqual({
      guestId: expect.any(String),
      cardId: expect.any(String),
      cardUrl: expect.stringMatching(/^https:\/\/hub\.example\.test\/card\//),
      existing: false,
    });
    const guest = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ id: res.body.guestId });
    expect(guest).toMatchObject({
      phone,
      name: 'Anna',
      source: 'form',
      marketingConsent: true,
      utm: { source: 'instagram', campaign: 'spring' },
      attributes: { favourite_drink: 'Latte', cups_a_week: 7 },
      referrerGuestId: referrer.guest.id,
    });
    const reg = await t.hub.db.manager.getRepository(FormRegistration).findOneByOrFail({ guestId: guest.id });
    expect(reg).toMatchObject({ cardId: res.body.cardId, existingGuest: false, referralCode: referrer.guest.referralCode, userAgent: IPHONE });
    const types = (await t.hub.db.manager.getRepository(OutboxMessage).find())
      .filter((m) => (m.data as { guestId?: string }).guestId === guest.id)
      .map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['guest.registered', 'card.issued']));
    const listed = await t.http.get(`/v1/admin/engagement/forms`).set('Cookie', b.ownerCookie).expect(200);
    const regs = await t.http.get(`/v1/admin/engagement/forms/${listed.body[0].id}/registrations`).set('Cookie', b.ownerCookie).expect(200);
    expect(regs.body.items[0]).toMatchObject({ guestId: guest.id, utm: { source: 'instagram', campaign: 'spring' } });
    // The same code cannot be used twice.
    const again = await t.http.post(api('/registrations')).send({ ...base, phone, requestId: code.body.requestId, code: sms.codeFor(phone) });
    expect([again.status, again.body.code]).toEqual([409, 'code_used']);
  });

  it('shows the card page by platform: Apple on iPhone, a hint on Android without Google, QR on desktop', async () => {
    const phone = '+79161110000';
    const code = await requestCode(phone).expect(201);
    const reg = await t.http
      .post(api('/registrations'))
      .send({ ...base, phone, requestId: code.body.requestId, code: sms.codeFor(phone) })
      .expect(201);
    const page = (ua: string) => t.http.get(pathOf(reg.body.cardUrl)).set('User-Agent', ua).expect(200);
    const ios = (await page(IPHONE)).text;
    expect(ios).toContain('id="add-apple"');
    expect(ios).not.toContain('id="page-qr"');
    expect(ios).toContain('id="card-qr"');
    // One script, our own file (the offline service worker's registration); nothing inline.
    expect(ios.match(/<script\b[^>]*>/g)).toEqual(['<script src="/static/engagement/card.js">']);
    const android = (await page(ANDROID)).text;
    expect(android).not.toContain('id="add-apple"');
    expect(android).toContain('id="no-wallet"');
    const desktop = (await page(DESKTOP)).text;
    expect(desktop).toMatch(/id="page-qr"><svg[^>]*>/);
    expect(desktop).toContain('id="add-apple"');
    const href = /id="add-apple" href="([^"]+)"/.exec(ios)![1]!.replace(/&amp;/g, '&');
    expect(href).toMatch(/^\/v1\/public\/cards\//);
    const pass = await t.http.get(href).buffer(true).parse(binary).expect(200);
    expect(inspectPkpass(pass.body as Buffer, certs.wwdrPem).problems).toEqual([]);
    const wrong = reg.body.cardUrl.replace(/t=[^&]+/, 't=AAAAAAAAAAAAAAAAAAAAAA');
    expect((await t.http.get(pathOf(wrong))).status).toBe(404);
  });

  it('counts wrong codes: 422 with attempts left, the 5th burns the code (429), the right code then fails too', async () => {
    const phone = '+79162220000';
    const code = await requestCode(phone).expect(201);
    const right = sms.codeFor(phone)!;
    const wrongCode = right === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const r = await t.http.post(api('/registrations')).send({ ...base, phone, requestId: code.body.requestId, code: wrongCode });
      expect([r.status, r.body.code, r.body.attemptsLeft]).toEqual([422, 'wrong_code', 5 - i]);
    }
    const fifth = await t.http.post(api('/registrations')).send({ ...base, phone, requestId: code.body.requestId, code: wrongCode });
    expect([fifth.status, fifth.body.code]).toEqual([429, 'too_many_attempts']);
    const late = await t.http.post(api('/registrations')).send({ ...base, phone, requestId: code.body.requestId, code: right });
    expect([late.status, late.body.code]).toEqual([429, 'too_many_attempts']);
    expect((await t.hub.db.manager.getRepository(SmsCode).findOneByOrFail({ id: code.body.requestId })).attempts).toBe(5);
    expect(await t.hub.db.manager.getRepository(Guest).countBy({ phone })).toBe(0);
    const audits = await t.hub.db.manager.getRepository(AuditEntry).findBy({ businessId: b.businessId, action: 'sms.code_attempts_exceeded' });
    expect(audits.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(audits)).not.toContain(phone);
  });

  it('refuses a second code within a minute (429 with the seconds left, not counted), then sends at most 3 codes per phone per hour; nothing is sent past the limits', async () => {
    const phone = '+79163330000';
    await requestCode(phone).expect(201);
    let sent = sms.sent.length;
    // Quick taps: refused by the resend cooldown, as problem+json with the seconds left; no SMS, no code kept.
    for (const [wait, most] of [
      [0, 60],
      [30, 30],
    ] as const) {
      later(wait);
      const tap = await requestCode(phone);
      expect([tap.status, tap.body.code]).toEqual([429, 'sms_cooldown']);
      expect(tap.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(tap.body.retryAfterSeconds).toBeGreaterThan(most - 5);
      expect(tap.body.retryAfterSeconds).toBeLessThanOrEqual(most);
      expect(tap.headers['retry-after']).toBe(String(tap.body.retryAfterSeconds));
    }
    expect(sms.sent.length).toBe(sent);
    expect(await t.hub.db.manager.getRepository(SmsCode).countBy({ phone })).toBe(1);
    // The refused taps did not spend the hourly cap: two more codes, a minute apart.
    for (let i = 0; i < 2; i++) {
      later(31 + 30 * i);
      await requestCode(phone).expect(201);
    }
    sent = sms.sent.length;
    later(61);
    const fourth = await requestCode(phone);
    expect([fourth.status, fourth.body.code]).toEqual([429, 'sms_limit']);
    // The hourly cap says how long is left: until the first code leaves the hour (about 57 minutes).
    expect(fourth.body.retryAfterSeconds).toBeGreaterThan(3600 - 4 * 60);
    expect(fourth.body.retryAfterSeconds).toBeLessThanOrEqual(3600 - 3 * 60);
    expect(Number(fourth.headers['retry-after'])).toBe(fourth.body.retryAfterSeconds);
    expect(sms.sent.length).toBe(sent);
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'sms.code_limit_reached' })).toBe(1);
    await requestCode('+79163330001').expect(201);
  });

  it('honours the blacklist without revealing it (same answer, no SMS, no registration), requires consent and the form’s fields', async () => {
    const phone = '+79164440000';
    await t.http.post('/v1/admin/blacklist').set('Cookie', b.ownerCookie).send({ phone, reason: 'fraud' }).expect(201);
    const sent = sms.sent.length;
    const blocked = await requestCode(phone);
    const other = await requestCode('+79164440009');
    expect([blocked.status, Object.keys(blocked.body).sort()]).toEqual([other.status, Object.keys(other.body).sort()]);
    expect(blocked.status).toBe(201);
    expect(sms.sent.length).toBe(sent + 1);
    expect(sms.sent.some((m) => m.to === '79164440000')).toBe(false);
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'sms.blacklisted_phone' })).toBe(1);
    const reg = await t.http.post(api('/registrations')).send({ ...base, phone, requestId: blocked.body.requestId, code: '123456' });
    const wrong = await t.http.post(api('/registrations')).send({ ...base, phone: '+79164440009', requestId: other.body.requestId, code: '123456' });
    expect([reg.status, reg.body.code]).toEqual([wrong.status, wrong.body.code]);
    expect(await t.hub.db.manager.getRepository(Guest).countBy({ phone })).toBe(0);

    const p2 = '+79164440001';
    const code = await requestCode(p2).expect(201);
    const noConsent = await t.http
      .post(api('/registrations'))
      .send({ ...base, consent: false, phone: p2, requestId: code.body.requestId, code: sms.codeFor(p2) });
    expect(noConsent.status).toBe(400);
    expect(noConsent.body.errors).toEqual([expect.objectContaining({ field: 'consent' })]);
    const noName = await t.http
      .post(api('/registrations'))
      .send({ consent: true, variables: { favourite_drink: 'Mocha' }, phone: p2, requestId: code.body.requestId, code: sms.codeFor(p2) });
    expect(noName.status).toBe(400);
    expect(noName.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'variables.favourite_drink']);
    const badRef = await t.http
      .post(api('/registrations'))
      .send({ ...base, phone: p2, requestId: code.body.requestId, code: sms.codeFor(p2), referralCode: 'NOSUCH12' });
    // An unknown invite code never blocks the registration: the card is issued without it, and the answer says so.
    expect([badRef.status, badRef.body.referralIgnored, badRef.body.existing]).toEqual([201, true, false]);
    const guest = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ businessId: b.businessId, phone: p2 });
    expect(guest.referrerGuestId).toBeNull();
  });

  it('gives a registered guest their card back after the SMS check, without a second guest or card', async () => {
    const phone = '+79165550000';
    let code = await requestCode(phone).expect(201);
    const first = await t.http
      .post(api('/registrations'))
      .send({ ...base, phone, requestId: code.body.requestId, code: sms.codeFor(phone) })
      .expect(201);
    later(61);
    code = await requestCode(phone).expect(201);
    const again = await t.http
      .post(api('/registrations'))
      .send({ ...base, phone, requestId: code.body.requestId, code: sms.codeFor(phone) })
      .expect(201);
    expect(again.body).toMatchObject({ guestId: first.body.guestId, cardId: first.body.cardId, existing: true });
    expect(await t.hub.db.manager.getRepository(Guest).countBy({ phone })).toBe(1);
  });

  it('reports a number SMS.ru refuses as 422 and keeps no code for it', async () => {
    sms.refuse('79166660000', 207);
    const r = await requestCode('+79166660000');
    expect([r.status, r.body.code]).toEqual([422, 'sms_rejected']);
    expect(await t.hub.db.manager.getRepository(SmsCode).countBy({ phone: '+79166660000' })).toBe(0);
  });
});
