import { checkAgainstForm, checkCode, detectPlatform, escapeHtml, generateCode, maskPhone, mayRequestCode, utmFromQuery } from './engagement.rules';
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
});
