import type { Api } from '../../http/api';
import type { CardsService } from '../cards/cards.service';
import { lookupQuery } from '../cards/cards.schemas';
import { cardLookupView } from './checkout.api-schemas';

/** The POS lookup: the card a till presents, with its guest (the guest view is why it lives above guests). */
export function posLookupRoutes(api: Api, cards: CardsService): void {
  api.route(
    {
      method: 'get',
      path: '/v1/pos/cards/lookup',
      summary: 'Find a card by number, QR payload or the guest’s phone',
      tags: ['POS'],
      auth: 'terminal',
      scope: 'pos',
      query: lookupQuery,
      response: cardLookupView,
      errors: [404],
    },
    async (req) => cards.lookupView(req.ctx, req.valid.query),
  );
}
