/**
 * Request scenarios of the POS bench: the same card lookup as r_keeper's FARCARDS sends it
 * (GetCardInfoEx XML to the connector's endpoint) and as a till on the POS API asks it
 * (`GET /v1/pos/cards/lookup`). The load worker requires this module (kept light: no hub).
 */
import { demoCardNumber } from '../../fixtures/src/demo-data/generate';
import type { HttpRequestSpec } from '../lib';

export interface LookupArgs {
  businessId: string;
  farcardsKey: string;
  terminalKey: string;
  cardPrefix: string;
  /** Cards 0..cards-1 of the demo data; request i looks up card i mod cards. */
  cards: number;
}

/** FARCARDS' GetCardInfoEx on order editing (chmode 5), as r_keeper sends it. */
export function getCardInfoRequests(a: LookupArgs): (i: number) => HttpRequestSpec {
  const path = `/connectors/rkeeper/${a.businessId}/farcards?k=${encodeURIComponent(a.farcardsKey)}`;
  return (i) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?><ROOT><QRY Card="${demoCardNumber(a.cardPrefix, i % a.cards)}" Restaurant="1" UnitNo="3"><InpBuf InpKind="1"><CHECK chmode="5" stationcode="1" restaurantcode="1" protocolversion="30"/></InpBuf></QRY></ROOT>`,
  });
}

/** The same lookup on the POS API with a terminal key. */
export function posLookupRequests(a: LookupArgs): (i: number) => HttpRequestSpec {
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({ method: 'GET', path: `/v1/pos/cards/lookup?number=${demoCardNumber(a.cardPrefix, i % a.cards)}`, headers: { authorization: auth } });
}
