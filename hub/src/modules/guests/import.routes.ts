import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { idParam } from '../tenants/tenants.schemas';
import type { GuestImport } from './import.entity';
import type { GuestImportService } from './import.service';

const importView = z.object({
  id: z.string(),
  state: z.enum(['queued', 'running', 'done', 'failed', 'canceled']),
  dryRun: z.boolean(),
  programId: z.string().nullable(),
  fileName: z.string().nullable(),
  columns: z.array(z.string()),
  totalRows: z.number().int(),
  processedRows: z.number().int(),
  progress: z.number().describe('0..1'),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  errors: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const importOut = (i: GuestImport) => ({
  id: i.id,
  state: i.state,
  dryRun: i.dryRun,
  programId: i.programId,
  fileName: i.fileName,
  columns: i.columns,
  totalRows: i.totalRows,
  processedRows: i.processedRows,
  progress: i.totalRows ? Math.min(1, i.processedRows / i.totalRows) : i.state === 'done' ? 1 : 0,
  created: i.created,
  updated: i.updated,
  skipped: i.skipped,
  failed: i.failed,
  errors: i.errors,
  lastError: i.lastError,
  createdAt: i.createdAt,
  startedAt: i.startedAt,
  finishedAt: i.finishedAt,
});

export function importRoutes(api: Api, imports: GuestImportService, kick: (id: string) => void): void {
  const tags = ['Clients'];
  api.route(
    {
      method: 'post',
      path: '/v1/admin/imports',
      summary: 'Upload a CSV of guests (phone, name, email, birthday, gender, consent, card_number, points, gift_balance, stamps, level, any other column = variable)',
      description: 'Send the file as `text/csv` (comma, semicolon or tab separated, UTF-8). With `dryRun=true` every row is checked and nothing is kept. Poll `GET /v1/admin/imports/{id}` for progress.',
      tags,
      auth: { roles: ROLE_SETS.admins },
      rawBody: 'text/csv',
      query: z.strictObject({
        programId: z.uuid().optional().describe('Issue cards of this program with the imported balances'),
        dryRun: z.enum(['true', 'false']).default('false'),
        fileName: z.string().max(200).optional(),
      }),
      response: importView,
      status: 202,
      errors: [404, 415],
    },
    async (req) => {
      const imp = await imports.upload(req.ctx, req, { programId: req.valid.query.programId, dryRun: req.valid.query.dryRun === 'true', fileName: req.valid.query.fileName });
      kick(imp.id);
      return importOut(imp);
    },
  );
  api.route({ method: 'get', path: '/v1/admin/imports', summary: 'Recent imports', tags, auth: { roles: ROLE_SETS.admins }, response: z.object({ items: z.array(importView) }) }, async (req) => ({
    items: (await imports.list(req.ctx)).map(importOut),
  }));
  api.route({ method: 'get', path: '/v1/admin/imports/:id', summary: 'Progress and errors of an import', tags, auth: { roles: ROLE_SETS.admins }, params: idParam, response: importView, errors: [404] }, async (req) =>
    importOut(await imports.get(req.ctx, req.valid.params.id)),
  );
  api.route(
    { method: 'post', path: '/v1/admin/imports/:id/resume', summary: 'Resume an interrupted or failed import', tags, auth: { roles: ROLE_SETS.admins }, params: idParam, response: importView, errors: [404, 409] },
    async (req) => {
      const imp = await imports.resume(req.ctx, req.valid.params.id);
      kick(imp.id);
      return importOut(imp);
    },
  );
  api.route({ method: 'post', path: '/v1/admin/imports/:id/cancel', summary: 'Cancel an import', tags, auth: { roles: ROLE_SETS.admins }, params: idParam, response: importView, errors: [404] }, async (req) =>
    importOut(await imports.cancel(req.ctx, req.valid.params.id)),
  );
}
