import { z } from 'zod';

/** The history's filter (the admin list and the CSV export). */
export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.uuid().optional(),
  action: z.string().max(80).optional(),
  targetType: z.string().max(40).optional(),
  targetId: z.string().max(64).optional(),
  actorId: z.string().max(64).optional(),
});
