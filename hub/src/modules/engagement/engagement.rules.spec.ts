import {
  budgetDecision,
  checkAgainstForm,
  checkCode,
  detectPlatform,
  escapeHtml,
  expiringPoints,
  generateCode,
  homePrefixes,
  levelProgress,
  linkSentText,
  localDay,
  maskPhone,
  mayRequestCode,
  phoneAllowed,
  secondsToLocalMidnight,
  slidingCap,
  SMS_LIMITS,
  smsLinkText,
  utmFromQuery,
} from './engagement.rules';
import { formFieldsSchema, publicRegistrationBody } from './engagement.schemas';

describe('engagement rules', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const ago = (min: number) => new Date(now.getTime() - min * 60_000);

  it('allows 3 codes per phone in any hour and says how long to wait', () => {
    expect(mayRequestCode([], now)).toEqual({ ok: true });
    expect(mayRequestCode([ago(50), ago(10)], now)).toEqual({ ok: true });
    expect(mayRequestCode([ago(70), ago(50), ago(10)], now)).toEqual({ ok: true });
    expect(mayRequestCode([ago(50), ago(20), ago(10)], now)).toEqual({ ok: false, reason: 'hourly_cap', retryAfterSeconds: 600 });
  });

  it('refuses a second code within the resend cooldown, with the seconds left, before the hourly cap', () => {
    const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);
    expect(SMS_LIMITS.resendAfterSeconds).toBe(60);
    expect(mayRequestCode([secondsAgo(0)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 60 });
    expect(mayRequestCode([secondsAgo(15)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 45 });
    expect(mayRequestCode([new Date(now.getTime() - 59_500)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 1 });
    expect(mayRequestCode([secondsAgo(60)], now)).toEqual({ ok: true });
    // The newest send counts, whatever the order of the list.
    expect(mayRequestCode([secondsAgo(10), ago(30)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 50 });
    // Within the cooldown of the third code the cooldown answers first (the shorter wait)…
    expect(mayRequestCode([ago(50), ago(20), secondsAgo(30)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 30 });
    // …then the hourly cap, with the time until the oldest send leaves the hour.
    expect(mayRequestCode([ago(50), ago(20), secondsAgo(90)], now)).toEqual({ ok: false, reason: 'hourly_cap', retryAfterSeconds: 600 });
    // A send stamped in the future (another hub's clock) never makes the wait longer than the cooldown.
    expect(mayRequestCode([new Date(now.getTime() + 30_000)], now)).toEqual({ ok: false, reason: 'cooldown', retryAfterSeconds: 60 });
  });

  it('quick taps do not spend the hourly cap: only admitted sends are counted', () => {
    // A guest taps every 5 s for two minutes; the hub records only the sends it admitted.
    const sent: Date[] = [];
    for (let s = 0; s <= 120; s += 5) {
      const at = new Date(now.getTime() + s * 1000);
      if (mayRequestCode(sent, at).ok) sent.push(at);
    }
    expect(sent.map((d) => (d.getTime() - now.getTime()) / 1000)).toEqual([0, 60, 120]);
  });

  it('finds the next level and what is left to it, in the policy’s metric', () => {
    const levels = [
      { code: 'base', name: 'Базовый', threshold: 0 },
      { code: 'silver', name: 'Серебряный', threshold: 1_000_000 },
      { code: 'gold', name: 'Золотой', threshold: 5_000_000 },
    ];
    const allTime = { metric: 'spend' as const, window: 'all_time' };
    const card = { levelCode: 'base', spendMinor: 0, visits: 0 };
    expect(levelProgress(levels, allTime, card)).toEqual({ level: 'Серебряный', metric: 'spend', value: 0, threshold: 1_000_000, left: 1_000_000 });
    expect(levelProgress(levels, null, { ...card, spendMinor: 250_000 })).toMatchObject({ level: 'Серебряный', left: 750_000 });
    expect(levelProgress(levels, allTime, { levelCode: 'silver', spendMinor: 1_200_000, visits: 3 })).toMatchObject({ level: 'Золотой', left: 3_800_000 });
    // A level set by hand counts: the next one is above it.
    expect(levelProgress(levels, allTime, { levelCode: 'silver', spendMinor: 10, visits: 0 })).toMatchObject({ level: 'Золотой', left: 4_999_990 });
    expect(levelProgress(levels, allTime, { levelCode: 'gold', spendMinor: 6_000_000, visits: 0 })).toBeNull();
    expect(levelProgress([], allTime, card)).toBeNull();
    const visits = [
      { code: 'a', name: 'A', threshold: 0 },
      { code: 'b', name: 'B', threshold: 10 },
    ];
    expect(levelProgress(visits, { metric: 'visits', window: 'all_time' }, { levelCode: 'a', spendMinor: 9e9, visits: 7 })).toMatchObject({
      metric: 'visits',
      left: 3,
    });
    // A rolling window: the all-time figures on the card are not what counts, so nothing is promised.
    expect(levelProgress(levels, { metric: 'spend', window: { days: 90 } }, card)).toBeNull();
  });

  it('sums the points that expire per local day, soonest first, only what is still ahead', () => {
    const at = (iso: string) => new Date(iso);
    const lots = [
      { remaining: 40, expiresAt: at('2025-07-01T21:30:00Z') }, // 00:30 on 2 July in Moscow
      { remaining: 100, expiresAt: at('2025-06-20T09:00:00Z') },
      { remaining: 10, expiresAt: at('2025-07-02T20:00:00Z') }, // 23:00 on 2 July in Moscow
      { remaining: 0, expiresAt: at('2025-06-10T09:00:00Z') }, // used up
      { remaining: 5, expiresAt: at('2025-05-01T09:00:00Z') }, // expired, not yet processed
      { remaining: 7, expiresAt: null }, // never expires
      { remaining: 1, expiresAt: at('2025-08-01T09:00:00Z') },
      { remaining: 2, expiresAt: at('2025-09-01T09:00:00Z') },
    ];
    expect(expiringPoints(lots, now, 'Europe/Moscow')).toEqual([
      { day: '2025-06-20', points: 100 },
      { day: '2025-07-02', points: 50 },
      { day: '2025-08-01', points: 1 },
    ]);
    expect(expiringPoints(lots, now, 'UTC', 10).map((d) => d.day)).toEqual(['2025-06-20', '2025-07-01', '2025-07-02', '2025-08-01', '2025-09-01']);
    expect(expiringPoints([], now, 'UTC')).toEqual([]);
  });

  it('gives 5 attempts per code; expired and used codes fail whatever is typed', () => {
    const fresh = { attempts: 0, expiresAt: new Date(now.getTime() + 60_000), usedAt: null };
    expect(checkCode(fresh, true, now)).toEqual({ ok: true });
    expect(checkCode(fresh, false, now)).toEqual({ ok: false, code: 'wrong_code', attemptsLeft: 4 });
    expect(checkCode({ ...fresh, attempts: 4 }, false, now)).toEqual({ ok: false, code: 'too_many_attempts', attemptsLeft: 0 });
    expect(checkCode({ ...fresh, attempts: 5 }, true, now)).toMatchObject({ ok: false, code: 'too_many_attempts' });
    expect(checkCode({ ...fresh, expiresAt: ago(1) }, true, now)).toMatchObject({ ok: false, code: 'code_expired' });
    expect(checkCode({ ...fresh, usedAt: ago(1) }, true, now)).toMatchObject({ ok: false, code: 'code_used' });
  });

  it('makes 6-digit codes, zero-padded', () => {
    expect(generateCode(() => 42)).toBe('000042');
    expect(generateCode()).toMatch(/^\d{6}$/);
  });

  it('detects the wallet platform from the User-Agent', () => {
    expect(detectPlatform('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148')).toBe('ios');
    expect(detectPlatform('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('ios');
    expect(detectPlatform('Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126.0 Mobile')).toBe('android');
    expect(detectPlatform('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0')).toBe('desktop');
    expect(detectPlatform(undefined)).toBe('desktop');
  });

  it('checks a submission against the form: required fields, typed variables, unknown ones refused', () => {
    const form = {
      fields: formFieldsSchema.parse({ name: 'required', birthday: 'hidden' }),
      variables: [
        { key: 'drink', label: 'Drink', type: 'select' as const, required: true, options: ['Latte'] },
        { key: 'cups', label: 'Cups', type: 'number' as const, required: false },
        { key: 'vegan', label: 'Vegan', type: 'checkbox' as const, required: false },
      ],
    };
    const body = publicRegistrationBody.parse({ phone: '+79990000000', consent: true, variables: { drink: 'Mocha', cups: 'x', vegan: true, extra: 1 } });
    const r = checkAgainstForm(form, body);
    expect(r.problems.map((p) => p.field).sort()).toEqual(['name', 'variables.cups', 'variables.drink', 'variables.extra']);
    const ok = checkAgainstForm(
      form,
      publicRegistrationBody.parse({ phone: '+79990000000', consent: true, name: 'A', variables: { drink: 'Latte', cups: 3 } }),
    );
    expect(ok).toEqual({ problems: [], attributes: { drink: 'Latte', cups: 3 } });
    expect(publicRegistrationBody.safeParse({ phone: '+79990000000', consent: false }).success).toBe(false);
  });

  it('reads UTM tags, masks phones and escapes HTML', () => {
    expect(utmFromQuery({ utm_source: ' vk ', utm_medium: ['a'], utm_bogus: 'x', utm_campaign: 'x'.repeat(200) })).toEqual({
      source: 'vk',
      campaign: 'x'.repeat(100),
    });
    expect(maskPhone('+79161234567')).toBe('+79*****4567');
    expect(escapeHtml('<a href="x">\'&')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });

  it('caps over a sliding hour: the cap-th newest send decides the wait', () => {
    const times = Array.from({ length: 10 }, (_, i) => ago(55 - i * 5));
    expect(slidingCap(times.slice(1), 10, now)).toEqual({ ok: true });
    expect(slidingCap(times, 10, now)).toEqual({ ok: false, retryAfterSeconds: 5 * 60 });
    expect(slidingCap([...times, ago(70)], 10, now)).toEqual({ ok: false, retryAfterSeconds: 5 * 60 });
    expect(slidingCap(times, 11, now)).toEqual({ ok: true });
  });

  it('allows the business’s own country by default, from its currency', () => {
    expect(homePrefixes('RUB')).toEqual(['+7']);
    expect(homePrefixes('KZT')).toEqual(['+7']);
    expect(homePrefixes('BYN')).toEqual(['+375']);
    expect(homePrefixes('USD')).toEqual(['+1']);
    expect(homePrefixes('EUR')).toBeNull();
    expect(phoneAllowed('+79161234567', ['+7'])).toBe(true);
    expect(phoneAllowed('+12025550123', ['+7'])).toBe(false);
    expect(phoneAllowed('+12025550123', ['+7', '+1'])).toBe(true);
    expect(phoneAllowed('+12025550123', null)).toBe(true);
  });

  it('counts the SMS budget per business-local day; only the first refusal of a day is reported', () => {
    const lateUtc = new Date('2025-06-01T22:30:00Z'); // 01:30 on 2 June in Moscow
    expect(localDay(lateUtc, 'Europe/Moscow')).toBe('2025-06-02');
    expect(localDay(lateUtc, 'UTC')).toBe('2025-06-01');
    expect(secondsToLocalMidnight(lateUtc, 'Europe/Moscow')).toBe(22.5 * 3600);
    const state = { day: '2025-06-01', sentOnDay: 5, exhaustedAt: null, dailyBudget: 5 };
    expect(budgetDecision(state, now, 'UTC')).toEqual({ ok: false, firstRefusal: true, retryAfterSeconds: 12 * 3600 });
    expect(budgetDecision({ ...state, exhaustedAt: ago(1) }, now, 'UTC')).toMatchObject({ ok: false, firstRefusal: false });
    expect(budgetDecision({ ...state, sentOnDay: 4 }, now, 'UTC')).toEqual({ ok: true, sentToday: 4 });
    // A new day starts from zero.
    expect(budgetDecision({ ...state, exhaustedAt: ago(60 * 13) }, lateUtc, 'Europe/Moscow')).toEqual({ ok: true, sentToday: 0 });
    expect(budgetDecision({ ...state, dailyBudget: 0 }, now, 'UTC')).toMatchObject({ ok: false });
  });

  it('words the card-link SMS in the business’s language', () => {
    expect(smsLinkText('https://x.test/card/1', 'Café', 'ru')).toBe('Ваша карта Café: https://x.test/card/1');
    expect(smsLinkText('https://x.test/card/1', 'Café', 'en')).toBe('Your Café card: https://x.test/card/1');
    expect(linkSentText('ru')).toMatch(/^Проверьте телефон/);
    expect(linkSentText('en')).toMatch(/^Check your phone/);
  });
});
