import { createHash, generateKeyPairSync } from 'node:crypto';
import { FormRegistration } from '../../src/modules/engagement/engagement.entity';
import type { SmsProvider } from '../../src/modules/engagement/engagement.sms';
import { Guest } from '../../src/modules/guests/guests.entity';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The guest's side of issue 20 through the hub's API and pages: recovery, closed/404/error pages, card states, weights. */
describeEachDb('guest side', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let programId: string;
  const texts: { to: string; text: string }[] = [];
  const codeOf = (phone: string) => /\b(\d{6})\b/.exec([...texts].reverse().find((m) => m.to === phone)!.text)![1]!;
  const sms = (slug: string) => `/v1/public/forms/${slug}`;
  /** Moves the engagement module's clock forward (a phone's resend cooldown is a minute). */
  const later = (seconds: number) => {
    const e = t.hub.services.engagement;
    const before = e.now;
    e.now = () => new Date(before().getTime() + seconds * 1000);
  };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    const capture: SmsProvider = {
      name: 'capture',
      send: async (m) => {
        texts.push(m);
        return { id: null };
      },
    };
    t.hub.services.engagement.d.sms = capture;
    b = await t.business('Кофейня «Зерно»');
    const program = await t.http
      .post('/v1/admin/programs')
      .set('Cookie', b.ownerCookie)
      .send({ name: 'Кофейный клуб', rules: { kind: 'bonus', accrualPercent: 5 }, welcomeBonusPoints: 100 })
      .expect(201);
    programId = program.body.id;
    for (const [slug, smsVerification] of [
      [`gs-sms-${backend}`, true],
      [`gs-link-${backend}`, false],
      [`gs-closed-${backend}`, true],
    ] as const)
      await t.http
        .post('/v1/admin/engagement/forms')
        .set('Cookie', b.ownerCookie)
        .send({ programId, slug, title: 'Вступайте в клуб', smsVerification })
        .expect(201);
    await t.http.patch('/v1/admin/engagement/sms-policy').set('Cookie', b.ownerCookie).send({ codesPerIpPerHour: 1000 }).expect(200);
  });
  afterAll(() => t?.close());

  const register = async (phone: string) => {
    const slug = `gs-sms-${backend}`;
    const code = await t.http
      .post(`${sms(slug)}/sms-codes`)
      .send({ phone })
      .expect(201);
    return (
      await t.http
        .post(`${sms(slug)}/registrations`)
        .send({ phone, consent: true, requestId: code.body.requestId, code: codeOf(phone) })
        .expect(201)
    ).body as {
      cardId: string;
      cardUrl: string;
    };
  };
  const pathOf = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };

  it('gives a returning guest their card link after the SMS code, and says «no card» only to whoever proved the phone', async () => {
    const slug = `gs-sms-${backend}`;
    const reg = await register('+79160000101');
    later(61);
    const code = await t.http
      .post(`${sms(slug)}/sms-codes`)
      .send({ phone: '+7 916 000-01-01' })
      .expect(201);
    const wrong = await t.http
      .post(`${sms(slug)}/card-links`)
      .send({ phone: '+79160000101', requestId: code.body.requestId, code: codeOf('+79160000101') === '000000' ? '111111' : '000000' });
    expect([wrong.status, wrong.body.code, wrong.body.attemptsLeft]).toEqual([422, 'wrong_code', 4]);
    const back = await t.http
      .post(`${sms(slug)}/card-links`)
      .send({ phone: '+79160000101', requestId: code.body.requestId, code: codeOf('+79160000101') })
      .expect(200);
    expect(back.body).toEqual({ cardUrl: reg.cardUrl });
    // The code is spent.
    const again = await t.http.post(`${sms(slug)}/card-links`).send({ phone: '+79160000101', requestId: code.body.requestId, code: codeOf('+79160000101') });
    expect([again.status, again.body.code]).toEqual([409, 'code_used']);
    const stranger = await t.http
      .post(`${sms(slug)}/sms-codes`)
      .send({ phone: '+79160000199' })
      .expect(201);
    const none = await t.http.post(`${sms(slug)}/card-links`).send({ phone: '+79160000199', requestId: stranger.body.requestId, code: codeOf('+79160000199') });
    expect([none.status, none.body.code]).toEqual([404, 'no_card']);
    expect(await t.hub.db.manager.getRepository(Guest).countBy({ businessId: b.businessId, phone: '+79160000199' })).toBe(0);
  });

  it('on a page without SMS codes answers every phone the same and texts the link only to a member', async () => {
    const slug = `gs-link-${backend}`;
    const member = await register('+79160000202');
    later(61);
    const before = texts.length;
    const known = await t.http.post(`${sms(slug)}/card-links`).send({ phone: '+79160000202' });
    const unknown = await t.http.post(`${sms(slug)}/card-links`).send({ phone: '+79160000299' });
    expect([known.status, known.body]).toEqual([unknown.status, unknown.body]);
    expect(known.status).toBe(202);
    expect(known.body.status).toBe('link_sent');
    expect(JSON.stringify(known.body)).not.toContain('/card/');
    const sent = texts.slice(before);
    expect(sent.map((m) => m.to)).toEqual(['+79160000202']);
    expect(sent[0]!.text).toBe(`Ваша карта Кофейня «Зерно»: ${member.cardUrl}`);
  });

  it('registers with an unknown invite code from the link and the card page notes it was ignored', async () => {
    const slug = `gs-sms-${backend}`;
    const phone = '+79160000303';
    const code = await t.http
      .post(`${sms(slug)}/sms-codes`)
      .send({ phone })
      .expect(201);
    const r = await t.http
      .post(`${sms(slug)}/registrations`)
      .send({ phone, consent: true, requestId: code.body.requestId, code: codeOf(phone), referralCode: 'NOSUCH99' })
      .expect(201);
    expect(r.body.referralIgnored).toBe(true);
    const page = await t.http
      .get(`${pathOf(r.body.cardUrl)}&new=1&ref=ignored`)
      .set('User-Agent', IPHONE)
      .expect(200);
    expect(page.text).toContain('Код приглашения не найден, поэтому карта выпущена без него.');
    expect(page.text).toContain('id="card-ready"');
    expect(page.text).toContain('aria-label="QR-код карты');
    // The guest's own invite code, with a share button carrying the registration link.
    const guest = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ businessId: b.businessId, phone });
    expect(page.text).toContain(`Ваш код приглашения: ${guest.referralCode}`);
    expect(page.text).toMatch(
      new RegExp(`id="share" data-code="${guest.referralCode}" data-url="[^"]+/join/gs-[a-z]+-${backend}\\?ref=${guest.referralCode}"`),
    );
  });

  it('tells a closed form from a typo, in the business’s language, and a failure is a page with a retry', async () => {
    await t.http
      .patch(
        `/v1/admin/engagement/forms/${(await t.http.get('/v1/admin/engagement/forms').set('Cookie', b.ownerCookie)).body.find((f: { slug: string }) => f.slug === `gs-closed-${backend}`).id}`,
      )
      .set('Cookie', b.ownerCookie)
      .send({ active: false })
      .expect(200);
    const closed = await t.http.get(`/join/gs-closed-${backend}`).set('Accept-Language', 'en').expect(410);
    expect(closed.headers['content-type']).toMatch(/text\/html/);
    expect(closed.text).toContain('Акция завершена');
    expect(closed.text).toContain('Кофейня «Зерно»');
    const typo = await t.http.get('/join/no-such-page').set('Accept-Language', 'ru-RU,ru;q=0.9').expect(404);
    expect(typo.text).toContain('Страница не найдена');
    expect(typo.text).not.toContain('Акция завершена');
    const reg = await register('+79160000404');
    const real = t.hub.services.engagement.cardPage.bind(t.hub.services.engagement);
    t.hub.services.engagement.cardPage = async () => {
      throw Object.assign(new Error('Connection lost: The server closed the connection.'), { status: 503 });
    };
    try {
      const down = await t.http.get(pathOf(reg.cardUrl)).expect(503);
      expect(down.headers['content-type']).toMatch(/text\/html/);
      expect(down.text).toContain('Что-то пошло не так');
      expect(down.text).toContain('id="retry"');
      expect(down.text).not.toContain('Connection lost');
    } finally {
      t.hub.services.engagement.cardPage = real;
    }
  });

  it('shows a blocked and a deleted card in words, with no QR and no Wallet buttons; their Wallet links answer a browser with a page', async () => {
    const reg = await register('+79160000505');
    const setStatus = (status: string) => t.http.post(`/v1/admin/cards/${reg.cardId}/status`).set('Cookie', b.ownerCookie).send({ status }).expect(200);
    const { searchParams } = new URL(reg.cardUrl);
    const pass = `/v1/public/cards/${b.businessId}/${reg.cardId}/apple.pkpass?t=${searchParams.get('t')}`;
    for (const [status, words, code] of [
      ['blocked', 'Карта заблокирована', 409],
      ['deleted', 'Карта удалена', 410],
    ] as const) {
      await setStatus(status);
      const page = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).expect(200);
      expect(page.text).toContain(words);
      expect(page.text).toContain(`data-status="${status}"`);
      for (const id of ['card-qr', 'add-apple', 'add-google', 'page-qr']) expect(page.text).not.toContain(`id="${id}"`);
      const human = await t.http.get(pass).set('Accept', BROWSER_ACCEPT).expect(code);
      expect(human.headers['content-type']).toMatch(/text\/html/);
      expect(human.text).toContain(words);
      expect(human.text).not.toContain('urn:loyalty:problem');
      const google = await t.http.get(pass.replace('/apple.pkpass', '/google')).set('Accept', BROWSER_ACCEPT).expect(code);
      expect(google.text).toContain(words);
      if (status === 'blocked') await setStatus('active');
    }
  });

  it('is the guest’s account: progress to the next level in the business’s money, operations in words, points that expire and when, an invite to share', async () => {
    // Levels by spend, and points that expire: the program as a café would set it.
    await t.http
      .patch(`/v1/admin/programs/${programId}`)
      .set('Cookie', b.ownerCookie)
      .send({
        rules: { kind: 'bonus', accrualPercent: 5, expiryDays: 180 },
        levels: [
          { code: 'base', name: 'Базовый', threshold: 0 },
          { code: 'silver', name: 'Серебряный', threshold: 1_000_000 },
        ],
        levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
      })
      .expect(200);
    const reg = await register('+79160000909');
    const fresh = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).expect(200);
    expect(fresh.text).toContain('До уровня «Серебряный» осталось 10\u00a0000\u00a0₽');
    expect(fresh.text).toMatch(/<progress value="0" max="1000000" aria-label="Путь до уровня «Серебряный»">/);
    // The welcome bonus, in words, and when it expires (180 days, in the business's calendar).
    expect(fresh.text).toMatch(/<li><span>\d{1,2} [а-я]+\.? · Приветственный бонус<\/span><b>\+100 баллов<\/b><\/li>/);
    const expires = new Intl.DateTimeFormat('ru', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Moscow' }).format(
      new Date(Date.now() + 180 * 86_400_000),
    );
    expect(fresh.text).toContain(`<h2>Сгорание баллов</h2><ul class="list"><li>100 баллов сгорят ${expires}</li></ul>`);
    // A purchase of 2 540 ₽, 40 of it paid by points: both operations listed, newest first; 7 460 ₽ left to Silver.
    const number = (await t.http.get(`/v1/admin/cards/${reg.cardId}`).set('Cookie', b.ownerCookie).expect(200)).body.number as string;
    await t.http
      .post('/v1/pos/checkouts')
      .set('Authorization', `Bearer ${b.terminalKey}`)
      .set('Idempotency-Key', `account-${backend}`)
      .send({ card: { number }, basket: { items: [{ sku: 'LATTE', qty: 1, unitPriceMinor: 254_000, amountMinor: 254_000 }] }, redeemPoints: 40 })
      .expect(201);
    const after = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).expect(200);
    const history = /<section id="history">(.*?)<\/section>/.exec(after.text)![1]!;
    expect([...history.matchAll(/· ([^<]+)<\/span><b>([^<]+)<\/b>/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'Начисление за покупку +125 баллов',
      'Списание баллов −40 баллов',
      'Приветственный бонус +100 баллов',
    ]);
    // A staff member's own words on an adjustment stay in the console: the guest reads the kind of the entry.
    await t.http
      .post(`/v1/admin/cards/${reg.cardId}/adjustments`)
      .set('Cookie', b.ownerCookie)
      .send({ unit: 'points', amount: 15, reason: 'Извинение за долгое ожидание, гость был недоволен' })
      .expect(200);
    const adjusted = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).expect(200);
    expect(adjusted.text).toMatch(/· Корректировка<\/span><b>\+15 баллов<\/b>/);
    expect(adjusted.text).not.toContain('гость был недоволен');
    expect(after.text).toContain('До уровня «Серебряный» осталось 7\u00a0460\u00a0₽');
    expect(after.text).toMatch(/<li>185 баллов сгорят [^<]+<\/li>/);
    // The invite: the code, the text a friend receives and the link with it (shared, or copied where there is no share sheet).
    const guest = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ businessId: b.businessId, phone: '+79160000909' });
    expect(after.text).toContain(`data-text="Присоединяйся к программе лояльности Кофейня «Зерно» с моим кодом приглашения ${guest.referralCode}"`);
    expect(after.text).toContain('data-copied="Скопировано: отправьте другу"');
    // Rules, contacts and the review link come from the pass's back side.
    expect(after.text).toContain('<h2>Правила</h2>');
    // A blocked card shows none of it.
    await t.http.post(`/v1/admin/cards/${reg.cardId}/status`).set('Cookie', b.ownerCookie).send({ status: 'blocked' }).expect(200);
    const blocked = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).expect(200);
    for (const id of ['progress', 'history', 'expiring', 'invite']) expect(blocked.text).not.toContain(`id="${id}"`);
    await t.http.post(`/v1/admin/cards/${reg.cardId}/status`).set('Cookie', b.ownerCookie).send({ status: 'active' }).expect(200);
  });

  it('keeps the weight: /join ≤ 20 KB and /card ≤ 8 KB transferred on a cold load (bytes on the wire, gzip)', async () => {
    const reg = await register('+79160000606');
    // Bytes on the wire: the Content-Length of each response a phone fetches on its first visit.
    const wire = async (path: string, ua = IPHONE) => {
      const r = await t.http.get(path).set('User-Agent', ua).set('Accept-Encoding', 'gzip, deflate, br').expect(200);
      expect(r.headers['content-encoding']).toBe('gzip');
      return Number(r.headers['content-length']);
    };
    const joinBytes = (await wire(`/join/gs-sms-${backend}`)) + (await wire('/static/engagement/register.js'));
    const cardBytes = (await wire(pathOf(reg.cardUrl))) + (await wire('/static/engagement/card.js'));
    // The registration ends on its success screen (the card page with `new=1`), which an Android phone shows with
    // Google's official badge: /join's budget carries the whole way, form to badge, with Google Wallet configured
    // (the badge counted gzip-compressed, though browsers take its smaller Brotli copy).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const account = {
      type: 'service_account',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'wallet@loyalty-test.iam.gserviceaccount.com',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    await t.http
      .put('/v1/admin/wallet/google')
      .set('Cookie', b.ownerCookie)
      .send({ issuerId: '3388000000012345678', serviceAccount: JSON.stringify(account) })
      .expect(200);
    try {
      const success = await t.http.get(`${pathOf(reg.cardUrl)}&new=1`).set('User-Agent', ANDROID).set('Accept-Encoding', 'gzip').expect(200);
      const badge = /<a class="badge" id="add-google" href="[^"]+"><img src="([^"]+)"/.exec(success.text)?.[1];
      expect(badge).toMatch(/^\/static\/engagement\/badges\/google-wallet-ru\.[0-9a-f]{12}\.svg$/);
      const badgeGzip = await t.http.get(badge!).set('Accept-Encoding', 'gzip').expect(200);
      expect(badgeGzip.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const badgeBr = await t.http.get(badge!).set('Accept-Encoding', 'gzip, deflate, br').expect(200);
      expect(badgeBr.headers['content-encoding']).toBe('br');
      const successBytes =
        (await wire(`${pathOf(reg.cardUrl)}&new=1`, ANDROID)) + (await wire('/static/engagement/card.js', ANDROID)) + Number(badgeGzip.headers['content-length']);
      process.stdout.write(
        `weights on the wire: /join ${joinBytes} B, its success screen on Android ${successBytes} B (badge ${badgeGzip.headers['content-length']} B gzip, ${badgeBr.headers['content-length']} B br), /card ${cardBytes} B\n`,
      );
      expect(joinBytes + successBytes).toBeLessThanOrEqual(20 * 1024);
      // The card page itself keeps the light buttons (no badge artwork), within its own budget on Android too.
      const cardAndroid = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', ANDROID).expect(200);
      expect(cardAndroid.text).toContain('<a class="btn google" id="add-google"');
      expect(cardAndroid.text).not.toContain('/static/engagement/badges/');
      expect((await wire(pathOf(reg.cardUrl), ANDROID)) + (await wire('/static/engagement/card.js', ANDROID))).toBeLessThanOrEqual(8 * 1024);
    } finally {
      const removed = await t.http.delete('/v1/admin/wallet/google').set('Cookie', b.ownerCookie);
      expect(removed.status).toBeLessThan(300);
    }
    expect(cardBytes).toBeLessThanOrEqual(8 * 1024);
    // A client that takes no gzip still gets the card page within its budget.
    const plain = await t.http.get(pathOf(reg.cardUrl)).set('User-Agent', IPHONE).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Buffer.byteLength(plain.text)).toBeLessThanOrEqual(8 * 1024);
  });

  it('shows the 152-ФЗ consent (operator, purpose, data, retention, privacy policy) apart from marketing, and keeps the text agreed to', async () => {
    await t.http
      .patch('/v1/admin/business')
      .set('Cookie', b.ownerCookie)
      .send({ settings: { privacyPolicyUrl: 'https://zerno.example/privacy' } })
      .expect(200);
    const join = await t.http.get(`/join/gs-sms-${backend}`).expect(200);
    expect(join.text).toContain('Даю согласие на обработку персональных данных Кофейня «Зерно» (оператору)');
    expect(join.text).toContain('3 года после её удаления');
    expect(join.text).toContain('<a href="https://zerno.example/privacy" target="_blank" rel="noopener">Политика обработки персональных данных</a>');
    const bad = await t.http
      .patch('/v1/admin/business')
      .set('Cookie', b.ownerCookie)
      .send({ settings: { privacyPolicyUrl: 'javascript:alert(1)' } });
    expect(bad.status).toBe(400);
    const reg = await register('+79160000808');
    const row = await t.hub.db.manager.getRepository(FormRegistration).findOneByOrFail({ cardId: reg.cardId });
    expect(row.consentText).toMatch(/^Даю согласие на обработку персональных данных Кофейня «Зерно» \(оператору\)/);
    expect(row.consentVersion).toBe(createHash('sha256').update(row.consentText!).digest('hex').slice(0, 16));
    expect(row.marketingConsentText).toBeNull();
  });

  it('speaks English for an English business: page, field errors and SMS', async () => {
    await t.http.patch('/v1/admin/business').set('Cookie', b.ownerCookie).send({ locale: 'en' }).expect(200);
    try {
      const join = await t.http.get(`/join/gs-sms-${backend}`).expect(200);
      expect(join.text).toContain('<html lang="en">');
      expect(join.text).toContain('Get a code');
      expect(join.text).toContain('Already have a card?');
      expect(join.text).not.toMatch(/Получить|Телефон/);
      await t.http
        .post(`${sms(`gs-sms-${backend}`)}/sms-codes`)
        .send({ phone: '+79160000707' })
        .expect(201);
      expect(texts[texts.length - 1]!.text).toMatch(/^\d{6} is your Кофейня «Зерно» registration code$/);
    } finally {
      await t.http.patch('/v1/admin/business').set('Cookie', b.ownerCookie).send({ locale: 'ru' }).expect(200);
    }
  });
});
