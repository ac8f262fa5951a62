import { catalog } from './catalog';

describe('console texts with numbers (the shared ICU catalog)', () => {
  const ru = (n: number) => catalog('ru', 'common.pointsAccrued', { n });
  it('agrees the Russian noun with the number: 0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 1.5', () => {
    expect([0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 1.5].map(ru)).toEqual([
      'Начислено 0 баллов',
      'Начислен 1 балл',
      'Начислено 2 балла',
      'Начислено 5 баллов',
      'Начислено 11 баллов',
      'Начислено 12 баллов',
      'Начислен 21 балл',
      'Начислено 22 балла',
      'Начислено 25 баллов',
      'Начислено 111 баллов',
      'Начислено 1,5 балла',
    ]);
    expect(catalog('ru', 'common.pointsRedeemed', { n: 62 })).toBe('Списано 62 балла');
    expect(catalog('ru', 'common.balancePoints', { n: 1021 })).toBe('Баланс: 1\u00a0021 балл');
    expect(catalog('ru', 'common.redeemUpTo', { n: 5 })).toBe('С этой покупки можно списать до 5 баллов');
    expect(catalog('ru', 'common.redeemUpTo', { n: 21 })).toBe('С этой покупки можно списать до 21 балла');
  });
  it('has English forms for one and many', () => {
    expect(catalog('en', 'common.pointsAccrued', { n: 1 })).toBe('1 point added');
    expect(catalog('en', 'common.balancePoints', { n: 62 })).toBe('Balance: 62 points');
  });
});
