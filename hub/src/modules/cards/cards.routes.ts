import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { idParam } from '../tenants/tenants.schemas';
import type { LedgerService } from '../ledger/ledger.service';
import type { Card } from './cards.entity';
import type { CardsService } from './cards.service';
import { adjustBody, cardListQuery, cardStatusBody, cardView, issueCardBody, ledgerQuery, ledgerView, levelBody } from './cards.schemas';

/** The guest holding a card, as the card list shows it (null: a bearer card). */
const holderView = z.object({ name: z.string().nullable(), phone: z.string().nullable(), erased: z.boolean() });

export function cardsRoutes(api: Api, cards: CardsService, ledger: LedgerService<Card>): void {
  const tags = ['Cards'];
  api.route(
    {
      method: 'get',
      path: '/v1/admin/cards',
      summary: 'List cards, each with its holder’s name and phone',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: cardListQuery,
      response: z.object({ items: z.array(cardView.extend({ holder: holderView.nullable() })), nextCursor: z.string().nullable() }),
    },
    async (req) => {
      const r = await cards.list(req.ctx, req.valid.query);
      const ids = [...new Set(r.items.flatMap((c) => (c.guestId ? [c.guestId] : [])))];
      const holders = new Map((ids.length ? await cards.holderContacts(req.ctx, ids) : []).map((h) => [h.id, h]));
      const items = await Promise.all(
        r.items.map(async (c) => {
          const h = c.guestId ? holders.get(c.guestId) : undefined;
          return { ...(await cards.view(req.ctx, c)), holder: h ? { name: h.name, phone: h.phone, erased: h.status === 'erased' } : null };
        }),
      );
      return { items, nextCursor: r.nextCursor };
    },
  );
  api.route(
    { method: 'post', path: '/v1/admin/cards', summary: 'Issue a card (a gift certificate may have no guest)', tags, auth: { roles: ROLE_SETS.staff }, body: issueCardBody, response: cardView, status: 201, errors: [403, 404, 409] },
    async (req) => cards.view(req.ctx, await cards.issue(req.ctx, req.valid.body.programId, req.valid.body.guestId ?? null, { giftNominalMinor: req.valid.body.giftNominalMinor })),
  );
  api.route({ method: 'get', path: '/v1/admin/cards/:id', summary: 'One card with its balances', tags, auth: { roles: ROLE_SETS.staff }, params: idParam, response: cardView, errors: [404] }, async (req) =>
    cards.view(req.ctx, await cards.get(req.ctx, req.valid.params.id)),
  );
  api.route(
    { method: 'get', path: '/v1/admin/cards/:id/ledger', summary: 'The card’s ledger (newest first)', tags, auth: { roles: ROLE_SETS.staff }, params: idParam, query: ledgerQuery, response: z.object({ items: z.array(ledgerView), nextCursor: z.string().nullable() }), errors: [404] },
    async (req) => {
      const card = await cards.get(req.ctx, req.valid.params.id);
      const r = await ledger.entries(req.ctx, card.id, req.valid.query.limit, req.valid.query.cursor);
      return { items: r.items.map(({ businessId: _b, cardId: _c, updatedAt: _u, ...e }) => e), nextCursor: r.nextCursor };
    },
  );
  api.route(
    { method: 'post', path: '/v1/admin/cards/:id/status', summary: 'Block, unblock or delete a card', tags, auth: { roles: ROLE_SETS.admins }, params: idParam, body: cardStatusBody, response: cardView, errors: [404, 409] },
    async (req) => cards.view(req.ctx, await cards.setStatus(req.ctx, req.valid.params.id, req.valid.body.status, req.valid.body.reason)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/cards/:id/adjustments',
      summary: 'Change a balance by hand, with a reason (audited, limited per staff per day)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: idParam,
      body: adjustBody,
      response: cardView,
      errors: [404, 409, 422, 429],
    },
    async (req) => cards.view(req.ctx, await cards.adjust(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    { method: 'post', path: '/v1/admin/cards/:id/level', summary: 'Set a card’s level by hand (audited)', tags, auth: { roles: ROLE_SETS.marketing }, params: idParam, body: levelBody, response: cardView, errors: [404] },
    async (req) => cards.view(req.ctx, await cards.setLevel(req.ctx, req.valid.params.id, req.valid.body.levelCode, req.valid.body.reason)),
  );
}
