import { IntlMessageFormat } from 'intl-messageformat';
import { en } from './messages.en';
import { ru } from './messages.ru';
import { langOf, LEDGER_REASONS, ledgerReason, t } from './index';

describe('i18n catalog', () => {
  const cases: [number, string, string][] = [
    [0, '0 баллов', '0 points'],
    [1, '1 балл', '1 point'],
    [2, '2 балла', '2 points'],
    [5, '5 баллов', '5 points'],
    [11, '11 баллов', '11 points'],
    [12, '12 баллов', '12 points'],
    [21, '21 балл', '21 points'],
    [22, '22 балла', '22 points'],
    [25, '25 баллов', '25 points'],
    [111, '111 баллов', '111 points'],
    [1.5, '1,5 балла', '1.5 points'],
  ];
  it.each(cases)('counts %p in Russian and English with CLDR plural rules', (n, ruText, enText) => {
    expect(t('ru-RU', 'plural.points', { n })).toBe(ruText);
    expect(t('en', 'plural.points', { n })).toBe(enText);
  });

  it('agrees the participle with the number in a whole sentence', () => {
    expect(t('ru', 'common.pointsAccrued', { n: 62 })).toBe('Начислено 62 балла');
    expect(t('ru', 'common.pointsAccrued', { n: 21 })).toBe('Начислен 21 балл');
    expect(t('ru', 'common.pointsAccrued', { n: 11 })).toBe('Начислено 11 баллов');
    expect(t('en', 'common.pointsAccrued', { n: 1 })).toBe('1 point added');
  });

  it('falls back to English for a language it does not have', () => {
    expect(langOf('de-DE')).toBe('en');
    expect(langOf(undefined)).toBe('en');
    expect(langOf('RU')).toBe('ru');
    expect(t('de', 'guest.phone')).toBe('Phone');
  });

  it('has the same keys and the same arguments in every language, and every message parses', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    // The arguments a message takes, read from its ICU syntax tree (a select's option texts are not arguments).
    type Node = { type: number; value?: string; options?: Record<string, { value: Node[] }> };
    const names = (nodes: Node[]): string[] =>
      nodes.flatMap((n) => [...(n.type !== 0 && n.type !== 7 && n.value ? [n.value] : []), ...Object.values(n.options ?? {}).flatMap((o) => names(o.value))]);
    const args = (s: string) => [...new Set(names(new IntlMessageFormat(s, 'en').getAst() as Node[]))].sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect([k, args(ru[k])]).toEqual([k, args(en[k])]);
      const values = Object.fromEntries(args(en[k]).map((a) => [a, a === 'n' ? 3 : 'x']));
      expect(t('ru', k, values)).not.toContain('{');
      expect(t('en', k, values)).not.toContain('{');
    }
  });

  it('formats the SMS texts the hub sends', () => {
    expect(t('ru', 'sms.code', { code: '123456', business: 'Кофейня' })).toBe('Код 123456 для регистрации в Кофейня');
    expect(t('en', 'sms.cardLink', { business: 'Cafe', url: 'https://x/card' })).toBe('Your Cafe card: https://x/card');
  });

  it('shows the ledger reasons the hub writes in the reader’s language, and a person’s own words as written', () => {
    for (const code of LEDGER_REASONS) {
      expect(ledgerReason('ru', code)).not.toBe(code);
      expect(ledgerReason('en', code)).not.toBe(code);
    }
    expect(ledgerReason('ru', 'welcome_bonus')).toBe('Приветственный бонус');
    expect(ledgerReason('en-GB', 'welcome_bonus')).toBe('Welcome bonus');
    // What older hubs stored in English reads as the code it meant.
    expect(ledgerReason('ru', 'welcome bonus')).toBe('Приветственный бонус');
    expect(ledgerReason('ru', '3 lot(s) expired')).toBe('Баллы сгорели');
    expect(ledgerReason('ru', 'Компенсация за долгое ожидание')).toBe('Компенсация за долгое ожидание');
  });
});
