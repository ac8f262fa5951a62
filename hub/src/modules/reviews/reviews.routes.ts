import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { Problem } from '../../shared/errors';
import { notFoundPage } from '../engagement/engagement.pages';
import { reviewListQuery } from './reviews.schemas';
import { reviewFormPage, reviewThanksPage } from './reviews.page';
import { GATING_WARNING } from './reviews.rules';
import { reviewOut, type ReviewsService } from './reviews.service';

const mapUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain })
  .max(500)
  .nullable();

export const reviewSettingsBody = z.strictObject({
  yandexUrl: mapUrl.describe('The business on Yandex Maps (https)'),
  twogisUrl: mapUrl.describe('The business on 2GIS (https)'),
  googleUrl: mapUrl.describe('The business on Google Maps (https)'),
  onlyHighRatings: z.boolean().describe(`Offer the maps only to 4–5★ reviewers. ${GATING_WARNING}`),
  acknowledgeGating: z.boolean().optional().describe('true: the owner accepts the review-gating warning (needed to turn onlyHighRatings on)'),
});

const settingsView = z.object({
  yandexUrl: z.string().nullable(),
  twogisUrl: z.string().nullable(),
  googleUrl: z.string().nullable(),
  onlyHighRatings: z.boolean(),
  gatingAcknowledgedAt: z.string().nullable(),
  gatingWarning: z.string(),
  links: z.object({ pass: z.string(), notification: z.string(), page: z.string() }),
});

const reviewView = z.object({
  id: z.string(),
  rating: z.number().int(),
  text: z.string().nullable(),
  channel: z.string(),
  guestId: z.string().nullable(),
  cardId: z.string().nullable(),
  offeredMap: z.string().nullable(),
  redirectedAt: z.string().nullable(),
  createdAt: z.string(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANNELS = new Set(['pass', 'notification', 'link']);

export function reviewsRoutes(api: Api, reviews: ReviewsService): void {
  const tags = ['Reviews'];
  const settingsOut = async (req: Request) => {
    const s = await reviews.settings(req.ctx);
    return {
      yandexUrl: s.yandexUrl,
      twogisUrl: s.twogisUrl,
      googleUrl: s.googleUrl,
      onlyHighRatings: s.onlyHighRatings,
      gatingAcknowledgedAt: s.gatingAcknowledgedAt?.toISOString() ?? null,
      gatingWarning: GATING_WARNING,
      links: reviews.links(req.ctx),
    };
  };
  api.route(
    {
      method: 'get',
      path: '/v1/admin/reviews/settings',
      summary: 'Where reviewers are sent afterwards (public maps), and the review page links',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      response: settingsView,
    },
    settingsOut,
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/reviews/settings',
      summary: 'Set the public maps; sending only 4–5★ reviewers there needs acknowledgeGating: true',
      tags,
      auth: { roles: ROLE_SETS.admins },
      body: reviewSettingsBody,
      response: settingsView,
      errors: [422],
    },
    async (req) => {
      await reviews.setSettings(req.ctx, req.valid.body as z.infer<typeof reviewSettingsBody>);
      return settingsOut(req);
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/reviews',
      summary: 'Reviews, newest first',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: reviewListQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.uuid().optional() }),
      response: z.object({ items: z.array(reviewView), nextCursor: z.string().nullable() }),
    },
    async (req) => {
      const q = req.valid.query as { limit: number; cursor?: string; rating?: number[] };
      const r = await reviews.list(req.ctx, q);
      return { items: r.items.map(reviewOut), nextCursor: r.nextCursor };
    },
  );

  // ---------- the guest's page ----------
  const html = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      await fn(req, res);
    } catch (e) {
      if (e instanceof Problem && (e.status === 404 || e.status === 400)) {
        res.status(e.status).type('html').send(notFoundPage());
        return;
      }
      next(e);
    }
  };
  const businessOf = (req: Request) => {
    const id = String(req.params.businessId);
    if (!UUID.test(id)) throw new Problem(404, 'not_found', 'Not found');
    return id;
  };
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  api.router.get(
    '/review/:businessId',
    html(async (req, res) => {
      const { brand } = await reviews.brand(businessOf(req));
      const q = req.query as Record<string, unknown>;
      const hidden: Record<string, string> = { ch: CHANNELS.has(String(q.ch)) ? String(q.ch) : 'link' };
      const c = str(q.c, 36);
      const t = str(q.t, 200);
      if (c && t && UUID.test(c)) Object.assign(hidden, { c, t });
      res.set('Cache-Control', 'no-store').type('html').send(reviewFormPage(brand, hidden));
    }),
  );
  api.router.post(
    '/review/:businessId',
    express.urlencoded({ extended: false, limit: '16kb' }),
    html(async (req, res) => {
      const businessId = businessOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const rating = Number(body.rating);
      if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new Problem(400, 'invalid_rating', 'Choose 1 to 5 stars');
      const { brand } = await reviews.brand(businessId);
      const { maps } = await reviews.submit(businessId, {
        rating,
        text: str(body.text, 2000) ?? null,
        channel: CHANNELS.has(String(body.ch)) ? String(body.ch) : 'link',
        cardId: str(body.c, 36),
        token: str(body.t, 200),
      });
      res.set('Cache-Control', 'no-store').type('html').send(reviewThanksPage(brand, maps));
    }),
  );
  api.router.get(
    '/review/:businessId/go/:reviewId/:map',
    html(async (req, res) => {
      const reviewId = String(req.params.reviewId);
      if (!UUID.test(reviewId)) throw new Problem(404, 'not_found', 'Not found');
      res.set('Cache-Control', 'no-store').redirect(302, await reviews.go(businessOf(req), reviewId, String(req.params.map)));
    }),
  );
}
