import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { auditQuery } from './audit.schemas';
import type { AuditService } from './audit.service';

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
