import { mapsOffered } from './reviews.rules';

describe('review redirects', () => {
  const links = { yandexUrl: 'https://yandex.ru/maps/org/1', twogisUrl: null, googleUrl: 'https://maps.google.com/?cid=1', onlyHighRatings: false };

  it('offers every reviewer the maps by default, whatever the rating', () => {
    for (const rating of [1, 2, 3, 4, 5]) expect(mapsOffered(links, rating).map((m) => m.map)).toEqual(['yandex', 'google']);
  });

  it('offers them only to 4–5★ reviewers when the owner opted in to gating', () => {
    const gated = { ...links, onlyHighRatings: true };
    expect([1, 2, 3, 4, 5].map((r) => mapsOffered(gated, r).length)).toEqual([0, 0, 0, 2, 2]);
  });
});
