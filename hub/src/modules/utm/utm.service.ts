import QRCode from 'qrcode';
import type { Db } from '../../db/db';
import { isUniqueViolation } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { conflict, notFound, Problem } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';
import type { EngagementService } from '../engagement/engagement.service';
import type { GuestSearch, GuestsService } from '../guests/guests.service';
import { UtmTag } from './utm.entity';

export interface UtmTagInput {
  name: string;
  source: string;
  campaign?: string | null;
  medium?: string | null;
  formSlug: string;
}

export interface UtmTagView {
  id: string;
  name: string;
  source: string;
  campaign: string | null;
  medium: string | null;
  formSlug: string;
  /** The registration link carrying the tag (print it as a QR code, post it). */
  url: string;
  registrations: number;
  installs: number;
  /** Lifetime spend of the guests who registered through the tag. */
  revenueMinor: number;
  createdAt: string;
}

/** The link of a tag: the registration page with `utm_source`, `utm_campaign`, `utm_medium`. */
export function utmLink(publicUrl: string, t: Pick<UtmTag, 'formSlug' | 'source' | 'campaign' | 'medium'>): string {
  const u = new URL(`${publicUrl.replace(/\/$/, '')}/join/${encodeURIComponent(t.formSlug)}`);
  u.searchParams.set('utm_source', t.source);
  if (t.campaign) u.searchParams.set('utm_campaign', t.campaign);
  if (t.medium) u.searchParams.set('utm_medium', t.medium);
  return u.toString();
}

/**
 * UTM tags: named registration links. A guest who registers through one keeps its source and
 * campaign (lower-cased, as the guests module stores them), so registrations, wallet installs and
 * revenue per tag are counts over the guest base with the segment filter.
 */
export class UtmService {
  constructor(private readonly d: { db: Db; audit: AuditService; guests: GuestsService; engagement: EngagementService; publicUrl: string }) {}

  private async stats(ctx: Ctx, t: UtmTag): Promise<Pick<UtmTagView, 'registrations' | 'installs' | 'revenueMinor'>> {
    const base: GuestSearch = { utmSource: [t.source], ...(t.campaign ? { utmCampaign: [t.campaign] } : {}) };
    const noCampaign = (qb: Awaited<ReturnType<GuestsService['search']>>) => (t.campaign ? qb : qb.andWhere('g.utmCampaign IS NULL'));
    const all = noCampaign(await this.d.guests.search(ctx, base));
    const row = await all.select('COUNT(*)', 'n').addSelect('COALESCE(SUM(g.spendMinor), 0)', 's').getRawOne<{ n: unknown; s: unknown }>();
    const inst = await noCampaign(await this.d.guests.search(ctx, { ...base, walletInstalled: true }))
      .select('COUNT(*)', 'n')
      .getRawOne<{ n: unknown }>();
    return { registrations: Number(row?.n ?? 0), revenueMinor: Number(row?.s ?? 0), installs: Number(inst?.n ?? 0) };
  }

  private async view(ctx: Ctx, t: UtmTag): Promise<UtmTagView> {
    return {
      id: t.id,
      name: t.name,
      source: t.source,
      campaign: t.campaign || null,
      medium: t.medium,
      formSlug: t.formSlug,
      url: utmLink(this.d.publicUrl, t),
      ...(await this.stats(ctx, t)),
      createdAt: t.createdAt.toISOString(),
    };
  }

  async list(ctx: Ctx): Promise<UtmTagView[]> {
    const tags = await this.d.db.manager.getRepository(UtmTag).find({ where: { businessId: ctx.businessId }, order: { createdAt: 'DESC' } });
    return Promise.all(tags.map((t) => this.view(ctx, t)));
  }

  async get(ctx: Ctx, id: string): Promise<UtmTag> {
    const t = await this.d.db.manager.getRepository(UtmTag).findOneBy({ id, businessId: ctx.businessId });
    if (!t) throw notFound('UTM tag', 'utm_tag_not_found');
    return t;
  }

  async create(ctx: Ctx, input: UtmTagInput): Promise<UtmTagView> {
    const form = await this.d.engagement.publicForm(input.formSlug).catch(() => null);
    if (!form || form.form.businessId !== ctx.businessId)
      throw new Problem(422, 'form_not_found', 'No active registration page with this address', [
        { field: 'formSlug', message: 'Not an active registration page of this business' },
      ]);
    const repo = this.d.db.manager.getRepository(UtmTag);
    const tag = repo.create({
      businessId: ctx.businessId,
      name: input.name.trim(),
      source: input.source.trim().toLowerCase(),
      campaign: (input.campaign ?? '').trim().toLowerCase(),
      medium: input.medium?.trim().toLowerCase() || null,
      formSlug: form.form.slug,
    });
    try {
      await this.d.db.transaction(async (tx) => {
        await tx.getRepository(UtmTag).insert(tag);
        await this.d.audit.record(ctx, tx, {
          action: 'utm_tag.created',
          targetType: 'utm_tag',
          targetId: tag.id,
          after: { name: tag.name, source: tag.source, campaign: tag.campaign },
        });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('utm_tag_exists', 'A tag with this source and campaign exists');
      throw e;
    }
    return this.view(ctx, tag);
  }

  async remove(ctx: Ctx, id: string): Promise<void> {
    const t = await this.get(ctx, id);
    await this.d.db.transaction(async (tx) => {
      await tx.getRepository(UtmTag).delete({ id: t.id });
      await this.d.audit.record(ctx, tx, {
        action: 'utm_tag.deleted',
        targetType: 'utm_tag',
        targetId: t.id,
        before: { name: t.name, source: t.source, campaign: t.campaign },
      });
    });
  }

  /** A printable QR code of the tag's link (SVG scales for flyers; PNG at 1024 px for table tents). */
  async qr(ctx: Ctx, id: string, format: 'svg' | 'png'): Promise<string | Buffer> {
    const url = utmLink(this.d.publicUrl, await this.get(ctx, id));
    return format === 'svg'
      ? QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      : QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 1024 });
  }
}
