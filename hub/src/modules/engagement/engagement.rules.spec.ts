import {
  budgetDecision,
  checkAgainstForm,
  checkCode,
  detectPlatform,
  escapeHtml,
  generateCode,
  homePrefixes,
  linkSentText,
  localDay,
  maskPhone,
  mayRequestCode,
  phoneAllowed,
  secondsToLocalMidnight,
  slidingCap,
  smsLinkText,
  utmFromQuery,
} from './engagement.rules';
import { formFieldsSchema, publicRegistrationBody } from './engagement.schemas';

describe('engagement rules', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const ago = (min: number) => new Date(now.getTime() - min * 60_000);

  it('allows 3 codes per phone in any hour and says how long to wait', () => {
    expect(mayRequestCode([ago(50), ago(10)], now)).toEqual({ ok: true });
    expect(mayRequestCode([ago(70), ago(50), ago(10)], now)).toEqual({ ok: true });
    expect(mayRequestCode([ago(50), ago(20), ago(10)], now)).toEqual({ ok: false, retryAfterSeconds: 600 });
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
