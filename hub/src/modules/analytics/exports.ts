import { once } from 'node:events';
import type { Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import type { Ctx } from '../../shared/context';
import { auditQuery } from '../audit/audit.routes';
import type { AuditService } from '../audit/audit.service';
import type { CheckoutService } from '../checkout/checkout.service';
import { guestCountQuery } from '../guests/guests.schemas';
import type { GuestsService } from '../guests/guests.service';
import type { ReviewsService } from '../reviews/reviews.service';

const PAGE = 1000;

/**
 * One CSV cell: quoted when it holds a separator, quote or line break; a text starting with
 * `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so a spreadsheet never runs it as a formula
 * (OWASP CSV injection). Numbers, signed ones included, are written as they are.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = v instanceof Date ? v.toISOString() : String(v);
  // A signed number (an E.164 phone, a negative amount) is no formula and stays as it is.
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",;\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: unknown[]) => cells.map(csvCell).join(',') + '\r\n';

/**
 * Streams pages of rows as CSV (UTF-8 with a BOM so Excel reads Cyrillic): one page in memory at a
 * time, and the next page is read only after the socket took the last one (backpressure), so a
 * million rows never sit in memory. A client that goes away stops the export.
 */
export async function streamCsv(res: Response, filename: string, header: string[], pages: AsyncIterable<unknown[][]>): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${filename}"`).set('Cache-Control', 'no-store');
  res.write('\uFEFF' + csvLine(header));
  for await (const rows of pages) {
    if (res.destroyed) return;
    if (!res.write(rows.map(csvLine).join(''))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}

/** Walks a cursor-paged list to the end. */
async function* cursorPages<T extends { id: string }>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  map: (items: T[]) => Promise<unknown[][]> | unknown[][],
) {
  let cursor: string | undefined;
  do {
    const r = await page(cursor);
    if (r.items.length) yield await map(r.items);
    cursor = r.nextCursor ?? undefined;
  } while (cursor);
}

const ratings = z
  .union([z.string().max(20), z.array(z.string()).max(5)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['1', '2', '3', '4', '5'])).transform((xs) => xs.map(Number)))
  .optional();

export const reviewListQuery = z.strictObject({ rating: ratings.describe('Only these ratings, comma-separated (1–5)') });

export interface ExportDeps {
  guests: GuestsService;
  checkout: CheckoutService;
  audit: AuditService;
  reviews: ReviewsService;
}

/** `GET /v1/admin/exports/<list>.csv` with the list's own filter parameters. */
export function exportRoutes(api: Api, d: ExportDeps): void {
  const tags = ['Exports'];
  const description = 'Streamed CSV (UTF-8, comma-separated, formulas neutralised) of every row matching the filter, whatever their number.';
  api.route(
    {
      method: 'get',
      path: '/v1/admin/exports/clients.csv',
      summary: 'Export the client list with the current search and segment filter',
      description,
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: guestCountQuery,
      errors: [422],
    },
    async (req, res) => {
      const q = req.valid.query as Parameters<GuestsService['count']>[1];
      await d.guests.search(req.ctx, q); // a contradictory filter is refused before anything is sent
      const header = [
        'id',
        'phone',
        'name',
        'email',
        'gender',
        'birthday',
        'source',
        'utmSource',
        'utmCampaign',
        'visits',
        'spendMinor',
        'firstPurchaseAt',
        'lastPurchaseAt',
        'marketingConsent',
        'status',
        'createdAt',
      ];
      await streamCsv(
        res,
        'clients.csv',
        header,
        cursorPages(
          (cursor) => d.guests.list(req.ctx, { ...q, limit: PAGE, cursor }),
          (items) => items.map((g) => header.map((h) => (g as unknown as Record<string, unknown>)[h])),
        ),
      );
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/exports/purchases.csv',
      summary: 'Export sales (from, to, status)',
      description,
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: z.strictObject({
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        status: z.enum(['held', 'committed', 'canceled']).optional(),
        guestId: z.uuid().optional(),
      }),
    },
    async (req, res) => {
      const q = req.valid.query as { from?: string; to?: string; status?: string; guestId?: string };
      const ctx: Ctx = req.ctx;
      await streamCsv(
        res,
        'purchases.csv',
        [
          'id',
          'createdAt',
          'status',
          'locationId',
          'cardNumber',
          'programName',
          'guestName',
          'guestPhone',
          'totalMinor',
          'discountMinor',
          'pointsRedeemed',
          'pointsAccrued',
          'refundedMinor',
          'receiptNumber',
        ],
        cursorPages(
          (cursor) =>
            d.checkout.list(ctx, {
              limit: PAGE,
              cursor,
              status: q.status,
              guestId: q.guestId,
              from: q.from ? new Date(q.from) : undefined,
              to: q.to ? new Date(q.to) : undefined,
            }),
          async (items) => {
            const names = await d.checkout.names(ctx, items);
            return items.map((c) => {
              const n = names(c);
              return [
                c.id,
                c.createdAt,
                c.status,
                c.locationId,
                n.cardNumber,
                n.programName,
                n.guestName,
                n.guestPhone,
                c.totalMinor,
                c.discountMinor,
                c.pointsRedeemed,
                c.pointsAccrued,
                c.refundedMinor,
                c.receipt?.number ?? null,
              ];
            });
          },
        ),
      );
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/exports/history.csv',
      summary: 'Export the administrator history (the same filters as the history list)',
      description,
      tags,
      auth: { roles: ROLE_SETS.admins },
      query: auditQuery.omit({ limit: true, cursor: true }),
    },
    async (req, res) => {
      const q = req.valid.query as Record<string, string | undefined>;
      await streamCsv(
        res,
        'history.csv',
        ['id', 'createdAt', 'action', 'actorType', 'actorLabel', 'targetType', 'targetId', 'before', 'after'],
        cursorPages(
          (cursor) => d.audit.list(req.ctx, { ...q, limit: PAGE, cursor } as Parameters<AuditService['list']>[1]),
          (items) =>
            items.map((a) => [
              a.id,
              a.createdAt,
              a.action,
              a.actorType,
              a.actorLabel,
              a.targetType,
              a.targetId,
              a.before ? JSON.stringify(a.before) : null,
              a.after ? JSON.stringify(a.after) : null,
            ]),
        ),
      );
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/exports/reviews.csv',
      summary: 'Export reviews (optionally only some ratings)',
      description,
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: reviewListQuery,
    },
    async (req, res) => {
      const q = req.valid.query as z.infer<typeof reviewListQuery>;
      await streamCsv(
        res,
        'reviews.csv',
        ['id', 'createdAt', 'rating', 'text', 'channel', 'guestId', 'cardId', 'offeredMap', 'redirectedAt'],
        cursorPages(
          (cursor) => d.reviews.list(req.ctx, { limit: PAGE, cursor, rating: q.rating }),
          (items) => items.map((r) => [r.id, r.createdAt, r.rating, r.text, r.channel, r.guestId, r.cardId, r.offeredMap, r.redirectedAt]),
        ),
      );
    },
  );
}
