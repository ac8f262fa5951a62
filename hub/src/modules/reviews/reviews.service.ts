import type { Db } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { notFound, Problem } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { WalletService } from '../wallet/wallet.service';
import type { ReviewBrand } from './reviews.page';
import { Review, ReviewSettings } from './reviews.entity';
import { GATING_WARNING, mapsOffered, MAPS, type MapId } from './reviews.rules';

export interface ReviewSettingsInput {
  yandexUrl: string | null;
  twogisUrl: string | null;
  googleUrl: string | null;
  onlyHighRatings: boolean;
  /** Required (true) to turn `onlyHighRatings` on: the owner read the review-gating warning. */
  acknowledgeGating?: boolean;
}

export interface ReviewView {
  id: string;
  rating: number;
  text: string | null;
  channel: string;
  guestId: string | null;
  cardId: string | null;
  offeredMap: string | null;
  redirectedAt: string | null;
  createdAt: string;
}

export const reviewOut = (r: Review): ReviewView => ({
  id: r.id,
  rating: r.rating,
  text: r.text,
  channel: r.channel,
  guestId: r.guestId,
  cardId: r.cardId,
  offeredMap: r.offeredMap,
  redirectedAt: r.redirectedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/**
 * After-visit reviews: a public page in the business's colours and logo, rating and text kept,
 * then (by default, for everyone) links to the public maps the owner listed.
 */
export class ReviewsService {
  constructor(
    private readonly d: { db: Db; audit: AuditService; tenants: TenantsService; programs: ProgramsService; wallet: WalletService; publicUrl: string },
  ) {}

  async settings(ctx: Ctx): Promise<ReviewSettings> {
    const repo = this.d.db.manager.getRepository(ReviewSettings);
    return (
      (await repo.findOneBy({ businessId: ctx.businessId })) ??
      repo.create({ businessId: ctx.businessId, yandexUrl: null, twogisUrl: null, googleUrl: null, onlyHighRatings: false, gatingAcknowledgedAt: null })
    );
  }

  async setSettings(ctx: Ctx, input: ReviewSettingsInput): Promise<ReviewSettings> {
    const s = await this.settings(ctx);
    if (input.onlyHighRatings && !s.onlyHighRatings && input.acknowledgeGating !== true)
      throw new Problem(422, 'review_gating_not_acknowledged', GATING_WARNING, [
        { field: 'acknowledgeGating', message: 'Set to true to accept the review-gating warning' },
      ]);
    const before = { ...s };
    Object.assign(s, {
      yandexUrl: input.yandexUrl,
      twogisUrl: input.twogisUrl,
      googleUrl: input.googleUrl,
      onlyHighRatings: input.onlyHighRatings,
      gatingAcknowledgedAt: input.onlyHighRatings ? (s.gatingAcknowledgedAt ?? new Date()) : null,
    });
    await this.d.db.transaction(async (tx) => {
      await tx.getRepository(ReviewSettings).save(s);
      await this.d.audit.record(ctx, tx, {
        action: 'review_settings.updated',
        targetType: 'business',
        targetId: ctx.businessId,
        before: { onlyHighRatings: before.onlyHighRatings },
        after: { onlyHighRatings: s.onlyHighRatings, yandexUrl: s.yandexUrl, twogisUrl: s.twogisUrl, googleUrl: s.googleUrl },
      });
    });
    return s;
  }

  /** The review page's links: for the pass's back side, for notifications, to share. */
  links(ctx: Ctx): { pass: string; notification: string; page: string } {
    const page = `${this.d.publicUrl}/review/${ctx.businessId}`;
    return { pass: `${page}?ch=pass`, notification: `${page}?ch=notification`, page };
  }

  /** The business's look for the page: the first program's pass colours and logo. */
  async brand(businessId: string): Promise<{ ctx: Ctx; brand: ReviewBrand }> {
    const ctx: Ctx = { businessId, actor: { type: 'guest', id: 'review-page', label: 'review page' } };
    const business = await this.d.tenants.getBusiness(ctx);
    const programs = await this.d.programs.list(ctx);
    const first = programs[0];
    let colors = { background: '#1E1E2E', foreground: '#FFFFFF' };
    let logoUrl: string | null = null;
    if (first) {
      colors = (await this.d.wallet.design(ctx, first.id)).design.colors;
      const logo = (await this.d.wallet.images(ctx, first.id)).find((i) => i.slot === 'logo');
      if (logo) logoUrl = this.d.wallet.imageUrl(businessId, first.id, 'logo', logo.sha1);
    }
    return { ctx, brand: { businessName: business.name, locale: business.locale, background: colors.background, foreground: colors.foreground, logoUrl } };
  }

  /** Keeps a review; answers the maps to offer (links through the hub, so the click is recorded). */
  async submit(
    businessId: string,
    input: { rating: number; text: string | null; channel: string; cardId?: string; token?: string },
  ): Promise<{ review: Review; maps: { map: MapId; href: string }[] }> {
    const ctx: Ctx = { businessId, actor: { type: 'guest', id: 'review-page', label: 'review page' } };
    await this.d.tenants.getBusiness(ctx);
    let guestId: string | null = null;
    let cardId: string | null = null;
    if (input.cardId && input.token) {
      const found = await this.d.wallet.cardByAccess(businessId, input.cardId, input.token).catch(() => null);
      if (found) ({ id: cardId, guestId } = found.card);
    }
    const repo = this.d.db.manager.getRepository(Review);
    const review = repo.create({
      businessId,
      guestId,
      cardId,
      rating: input.rating,
      text: input.text?.trim() || null,
      channel: input.channel,
      offeredMap: null,
      redirectedAt: null,
    });
    await repo.insert(review);
    const maps = mapsOffered(await this.settings(ctx), input.rating).map((m) => ({
      map: m.map,
      href: `${this.d.publicUrl}/review/${businessId}/go/${review.id}/${m.map}`,
    }));
    return { review, maps };
  }

  /** A reviewer clicked a map: recorded, and the map's URL to redirect to. */
  async go(businessId: string, reviewId: string, map: string): Promise<string> {
    if (!(MAPS as readonly string[]).includes(map)) throw notFound('Map');
    const ctx: Ctx = { businessId, actor: { type: 'guest', id: 'review-page' } };
    const review = await this.d.db.manager.getRepository(Review).findOneBy({ id: reviewId, businessId });
    if (!review) throw notFound('Review');
    const offer = mapsOffered(await this.settings(ctx), review.rating).find((m) => m.map === map);
    if (!offer) throw notFound('Map');
    await this.d.db.manager.getRepository(Review).update({ id: review.id }, { offeredMap: map, redirectedAt: new Date() });
    return offer.url;
  }

  async list(ctx: Ctx, q: { limit: number; cursor?: string; rating?: number[] }): Promise<{ items: Review[]; nextCursor: string | null }> {
    const qb = this.query(ctx, q)
      .orderBy('r.id', 'DESC')
      .limit(q.limit + 1);
    if (q.cursor) qb.andWhere('r.id < :cur', { cur: q.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  query(ctx: Ctx, q: { rating?: number[] }) {
    const qb = this.d.db.manager.getRepository(Review).createQueryBuilder('r').where('r.businessId = :b', { b: ctx.businessId });
    if (q.rating?.length) qb.andWhere('r.rating IN (:...ratings)', { ratings: q.rating });
    return qb;
  }
}
