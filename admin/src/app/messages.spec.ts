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
