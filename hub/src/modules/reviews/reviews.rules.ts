/**
 * Reviews, the pure part. The default asks every reviewer to also post on the public maps the
 * owner listed. Sending only 4–5★ reviewers there ("review gating") is what Google's and Yandex's
 * rules forbid, so it is an explicit opt-in that needs the owner's acknowledgement of the warning.
 */
export const MAPS = ['yandex', '2gis', 'google'] as const;
export type MapId = (typeof MAPS)[number];

export interface MapLinks {
  yandexUrl: string | null;
  twogisUrl: string | null;
  googleUrl: string | null;
  onlyHighRatings: boolean;
}

export const GATING_WARNING =
  'Google and Yandex forbid asking only happy customers for reviews (review gating): reviews can be removed and the listing penalised. Turn this on only if you accept that risk.';

/** The maps a reviewer with this rating is offered, in order. */
export function mapsOffered(s: MapLinks, rating: number): { map: MapId; url: string }[] {
  if (s.onlyHighRatings && rating < 4) return [];
  const all: [MapId, string | null][] = [
    ['yandex', s.yandexUrl],
    ['2gis', s.twogisUrl],
    ['google', s.googleUrl],
  ];
  return all.filter((x): x is [MapId, string] => !!x[1]).map(([map, url]) => ({ map, url }));
}
