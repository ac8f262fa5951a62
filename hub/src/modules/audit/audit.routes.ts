import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import type { AuditService } from './audit.service';

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.uuid().optional(),
  action: z.string().max(80).optional(),
  targetType: z.string().max(40).optional(),
  targetId: z.string().max(64).optional(),
  actorId: z.string().max(64).optional(),
});

const auditView = z.object({
  id: z.string(),
  createdAt: z.date(),
  actorType: z.string(),
  actorId: z.string(),
  actorLabel: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  ip: z.string().nullable(),
});

export function auditRoutes(api: Api, audit: AuditService): void {
  api.route(
    {
      method: 'get',
      path: '/v1/admin/audit',
      summary: 'Administrator history (newest first, cursor-paginated)',
      tags: ['History'],
      auth: { roles: ROLE_SETS.admins },
      query: auditQuery,
      response: z.object({ items: z.array(auditView), nextCursor: z.string().nullable() }),
    },
    async (req) => {
      const r = await audit.list(req.ctx, req.valid.query);
      return { items: r.items.map(({ businessId: _b, updatedAt: _u, ...rest }) => rest), nextCursor: r.nextCursor };
    },
  );
}
