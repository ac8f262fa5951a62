import { translate } from './i18n';
import { en, ru } from './messages';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('console dictionary', () => {
  it('has a Russian text for every English key, and no extra ones', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(ru)) expect([key, text.trim().length > 0]).toEqual([key, true]);
  });

  it('uses the same {placeholders} in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect([key, placeholders(ru[key])]).toEqual([key, placeholders(en[key])]);
    }
  });
});

describe('console texts with a plural (ICU, CLDR rules)', () => {
  it('agrees the Russian noun with the number: 0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 1.5', () => {
    const numbers = [0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 1.5];
    expect(numbers.map((n) => translate('ru', 'card.balance.points', { n }))).toEqual([
      '0 баллов',
      '1 балл',
      '2 балла',
      '5 баллов',
      '11 баллов',
      '12 баллов',
      '21 балл',
      '22 балла',
      '25 баллов',
      '111 баллов',
      '1,5 балла',
    ]);
    expect(numbers.map((n) => translate('ru', 'scanner.done.stamps', { n }))).toEqual([
      '+0 штампов',
      '+1 штамп',
      '+2 штампа',
      '+5 штампов',
      '+11 штампов',
      '+12 штампов',
      '+21 штамп',
      '+22 штампа',
      '+25 штампов',
      '+111 штампов',
      '+1,5 штампа',
    ]);
    expect(translate('ru', 'card.balance.stamps', { n: 2, goal: 6 })).toBe('2 из 6 штампов');
    expect(translate('ru', 'card.balance.stamps', { n: 0, goal: 21 })).toBe('0 из 21 штампа');
    expect(translate('ru', 'guest.welcome', { n: 100 })).toBe('+100 приветственных баллов');
    expect(translate('ru', 'guest.welcome', { n: 51 })).toBe('+51 приветственный балл');
  });

  it('has English forms for one and many', () => {
    expect([1, 2, 1.5].map((n) => translate('en', 'card.balance.points', { n }))).toEqual(['1 point', '2 points', '1.5 points']);
    expect(translate('en', 'programs.sum.stamp', { n: 1 })).toBe('1 stamp for a reward');
  });

  it('has no hand-made Russian plural after a number placeholder (they go through {n, plural, …})', () => {
    const handMade = /\{\w+\}\s*(баллов|балла|штампов|штампа|гостей|дней|раз|строк|кодов|операций|карт|часов|минут)\b/;
    for (const [key, text] of Object.entries(ru)) expect([key, handMade.test(text)]).toEqual([key, false]);
  });
});
