import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { idParam } from '../tenants/tenants.schemas';
import type { CardsService } from '../cards/cards.service';
import { cardView } from '../cards/cards.schemas';
import { guestOut, type GuestsService } from './guests.service';
import { blacklistBody, blacklistView, guestCountQuery, guestListQuery, guestView, registerGuestBody, updateGuestBody } from './guests.schemas';

export function guestsRoutes(api: Api, guests: GuestsService, cards: CardsService): void {
  const tags = ['Clients'];
  api.route(
    {
      method: 'get',
      path: '/v1/admin/guests',
      summary: 'Find guests (phone, name, e-mail, card number, or the last 4 digits of a phone or card) and filter them by segment, sorted',
      description:
        'Segment parameters narrow the list together (AND); a list parameter matches any of its comma-separated values. Days are in the business time zone. Sorted on the server (`sort`, `order`) and paged by keyset cursor; each row carries the card it shows (balance and level).',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: guestListQuery,
      response: z.object({ items: z.array(guestView), nextCursor: z.string().nullable() }),
      errors: [400, 422],
    },
    async (req) => {
      const r = await guests.list(req.ctx, req.valid.query);
      return { items: r.items.map((x) => ({ ...guestOut(x.guest), card: x.card })), nextCursor: r.nextCursor };
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/guests/count',
      summary: 'How many guests match a search and segment filter (the same parameters as the list)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: guestCountQuery,
      response: z.object({ count: z.number().int() }),
      errors: [422],
    },
    async (req) => ({ count: await guests.count(req.ctx, req.valid.query) }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/guests',
      summary: 'Register a guest (optionally issuing a card)',
      tags,
      auth: { roles: ROLE_SETS.staff },
      body: registerGuestBody,
      response: z.object({ guest: guestView, card: cardView.nullable() }),
      status: 201,
      errors: [403, 409],
    },
    async (req) => {
      const { guest, card } = await guests.register(req.ctx, req.valid.body);
      return { guest: guestOut(guest), card: card ? await cards.view(req.ctx, card) : null };
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/guests/:id',
      summary: 'A guest and their cards',
      tags,
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      response: z.object({ guest: guestView, cards: z.array(cardView) }),
      errors: [404],
    },
    async (req) => {
      const g = await guests.get(req.ctx, req.valid.params.id);
      const list = await cards.listForGuest(req.ctx, g.id);
      return { guest: guestOut(g), cards: await Promise.all(list.map((c) => cards.view(req.ctx, c))) };
    },
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/guests/:id',
      summary: 'Change a guest profile',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: idParam,
      body: updateGuestBody,
      response: guestView,
      errors: [404, 409],
    },
    async (req) => guestOut(await guests.update(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/guests/:id/erase',
      summary: 'Erase a guest (anonymize; ledger and sales are kept)',
      tags,
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      response: guestView,
      errors: [404],
    },
    async (req) => guestOut(await guests.erase(req.ctx, req.valid.params.id)),
  );

  // Blacklist
  api.route(
    {
      method: 'get',
      path: '/v1/admin/blacklist',
      summary: 'Blacklisted phones',
      tags: ['Blacklist'],
      auth: { roles: ROLE_SETS.marketing },
      response: z.object({ items: z.array(blacklistView) }),
    },
    async (req) => ({
      items: (await guests.listBlacklist(req.ctx)).map((e) => ({ id: e.id, phone: e.phone, reason: e.reason, createdAt: e.createdAt })),
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/blacklist',
      summary: 'Blacklist a phone (blocks the guest’s cards)',
      tags: ['Blacklist'],
      auth: { roles: ROLE_SETS.admins },
      body: blacklistBody,
      response: blacklistView,
      status: 201,
      errors: [409],
    },
    async (req) => {
      const e = await guests.addToBlacklist(req.ctx, req.valid.body.phone, req.valid.body.reason);
      return { id: e.id, phone: e.phone, reason: e.reason, createdAt: e.createdAt };
    },
  );
  api.route(
    {
      method: 'delete',
      path: '/v1/admin/blacklist/:id',
      summary: 'Remove a phone from the blacklist',
      tags: ['Blacklist'],
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      errors: [404],
    },
    async (req) => {
      await guests.removeFromBlacklist(req.ctx, req.valid.params.id);
      return undefined;
    },
  );
}
