import { backoffMs, BACKOFF_FORGET_MS, LOGIN_BACKOFF, normalizeRecoveryCode, normalizeTotp, passwordWeakness, waitMs } from './tenants.rules';

describe('staff password policy', () => {
  it.each([
    ['aaaaaaaaaa', 'Not one character repeated'],
    ['password12', 'too common'],
    ['qwertyuiop', 'too common'],
    ['1234567890', 'too common'],
    ['iloveyou12', 'too common'],
    ['Password123!', 'too common'],
    ['abcdefghijk', 'too common'],
    ['short-1', 'At least 10 characters'],
    ['abababababab', 'at least 4 different characters'],
  ])('refuses %p', (pw, why) => {
    expect(passwordWeakness(pw)).toMatch(new RegExp(why, 'i'));
  });

  it('refuses the account’s own e-mail or name', () => {
    expect(passwordWeakness('maria.petrova2024', { email: 'maria.petrova@example.com' })).toMatch(/e-mail/);
    expect(passwordWeakness('Maria Petrova', { name: 'Maria Petrova' })).toMatch(/name/);
  });

  it.each(['owner-password-1', 'cashier-pass-1', 'correct horse battery', 'Tverskaya-1-coffee', 'пароль-кофейни-7'])('accepts %p', (pw) => {
    expect(passwordWeakness(pw, { email: 'owner@example.com', name: 'Owner' })).toBeNull();
  });
});

describe('login back-off', () => {
  const p = LOGIN_BACKOFF.emailAndIp;
  it('lets the first tries through, then doubles the wait up to the cap', () => {
    expect([0, 4, 5, 6, 7, 40].map((n) => backoffMs(n, p))).toEqual([0, 0, 1000, 2000, 4000, 15 * 60_000]);
    expect(backoffMs(100, LOGIN_BACKOFF.email)).toBe(30_000);
  });
  it('counts the wait from the last failure and forgets old failures', () => {
    const now = 1_000_000_000;
    expect(waitMs({ failures: 6, lastFailAt: now - 500 }, p, now)).toBe(1500);
    expect(waitMs({ failures: 6, lastFailAt: now - 2500 }, p, now)).toBe(0);
    expect(waitMs({ failures: 40, lastFailAt: now - BACKOFF_FORGET_MS - 1 }, p, now)).toBe(0);
    expect(waitMs(undefined, p, now)).toBe(0);
  });
});

describe('second-factor inputs', () => {
  it('reads recovery codes in any case, with or without dashes', () => {
    expect(normalizeRecoveryCode(' ABCD-EFGH-JKMN ')).toBe('abcd-efgh-jkmn');
    expect(normalizeRecoveryCode('abcdefghjkmn')).toBe('abcd-efgh-jkmn');
    expect(normalizeRecoveryCode('abcd-efgh')).toBeNull();
    expect(normalizeRecoveryCode('123456')).toBeNull();
  });
  it('reads six-digit codes with spaces', () => {
    expect(normalizeTotp('123 456')).toBe('123456');
    expect(normalizeTotp('12345')).toBeNull();
    expect(normalizeTotp('abcdef')).toBeNull();
  });
});
