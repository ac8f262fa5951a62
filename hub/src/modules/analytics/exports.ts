import { once } from 'node:events';
import type { Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import type { Ctx } from '../../shared/context';
import { auditQuery } from '../audit/audit.schemas';
import type { AuditService } from '../audit/audit.service';
import type { CheckoutService } from '../checkout/checkout.service';
import { saleFilter, type SaleFilter, type SalesHistory } from '../checkout/sales.service';
import { guestCountQuery } from '../guests/guests.schemas';
import { EXPORT_GUEST_COLUMNS, type ExportRow, type GuestsService } from '../guests/guests.service';
import { reviewListQuery } from '../reviews/reviews.schemas';
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
  await streamCsvText(res, filename, header, mapPages(pages, (rows) => rows.map(csvLine).join('')));
}

async function* mapPages<T>(pages: AsyncIterable<T>, f: (page: T) => string): AsyncGenerator<string> {
  for await (const p of pages) yield f(p);
}

/** {@link streamCsv} of pages already rendered as CSV text (one large write per page). */
export async function streamCsvText(res: Response, filename: string, header: string[], pages: AsyncIterable<string>): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${filename}"`).set('Cache-Control', 'no-store');
  res.write('\uFEFF' + csvLine(header));
  for await (const text of pages) {
    if (res.destroyed) return;
    if (!res.write(text)) {
      // Wait for the socket to take it (or to go away); the listener that did not fire is removed.
      const ac = new AbortController();
      await Promise.race([once(res, 'drain', { signal: ac.signal }), once(res, 'close', { signal: ac.signal })]).finally(() => ac.abort());
    }
  }
  res.end();
}

/** A raw time as the database driver returns it (a Date from MariaDB, `YYYY-MM-DD HH:MM:SS.sss` UTC text from SQLite) in ISO 8601. */
const isoTime = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : typeof v === 'string' && v.length >= 19 && v[10] === ' ' ? `${v.slice(0, 10)}T${v.slice(11)}Z` : String(v);
const TIME_COLUMNS = new Set(['firstPurchaseAt', 'lastPurchaseAt', 'createdAt']);

/** The client export's columns: the guest's, then their first card's number, balance and level. */
export const CLIENT_COLUMNS = [...EXPORT_GUEST_COLUMNS, 'cardNumber', 'pointsBalance', 'levelCode'] as const;

/** Raw guest rows (see GuestsService.exportBatches) as CSV text, without building entities. */
export function clientRowsCsv(rows: ExportRow[]): string {
  let out = '';
  for (const r of rows) {
    let line = '';
    for (let i = 0; i < CLIENT_COLUMNS.length; i++) {
      const c = CLIENT_COLUMNS[i]!;
      const v = r[c];
      const cell = TIME_COLUMNS.has(c) ? isoTime(v) : c === 'marketingConsent' ? Boolean(Number(v)) : v;
      line += i ? ',' + csvCell(cell) : csvCell(cell);
    }
    out += line + '\r\n';
  }
  return out;
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

// The review list's filter is the reviews module's (its list route reads the same).
export { reviewListQuery };

export interface ExportDeps {
  guests: GuestsService;
  checkout: CheckoutService;
  audit: AuditService;
  reviews: ReviewsService;
  sales: SalesHistory;
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
      description: `${description} One line per guest, with their first card's number, points balance and level code.`,
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: guestCountQuery,
      errors: [422],
    },
    async (req, res) => {
      const q = req.valid.query as Parameters<GuestsService['count']>[1];
      await d.guests.search(req.ctx, q); // a contradictory filter is refused before anything is sent
      // Raw rows in keyset batches, rendered straight to CSV text: a million rows stream in constant memory.
      await streamCsvText(res, 'clients.csv', [...CLIENT_COLUMNS], mapPages(d.guests.exportBatches(req.ctx, q), clientRowsCsv));
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/exports/purchases.csv',
      summary: 'Export sales (the sales history filter: period, status, location, terminal, cashier, guest, card)',
      description,
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: saleFilter,
    },
    async (req, res) => {
      const q = req.valid.query as SaleFilter;
      const ctx: Ctx = req.ctx;
      await streamCsv(
        res,
        'purchases.csv',
        [
          'id',
          'createdAt',
          'status',
          'locationId',
          'terminalId',
          'cashierId',
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
          (cursor) => d.sales.list(ctx, { ...q, limit: PAGE, cursor }),
          async (items) => {
            const names = await d.checkout.names(ctx, items);
            return items.map((c) => {
              const n = names(c);
              return [
                c.id,
                c.createdAt,
                c.status,
                c.locationId,
                c.terminalId,
                c.actorType === 'staff' ? c.actorId : null,
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
