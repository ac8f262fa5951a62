import { z } from 'zod';

export const cardView = z.object({
  id: z.string(),
  number: z.string(),
  qr: z.string().describe('Payload of the QR code on the pass'),
  status: z.enum(['active', 'blocked', 'deleted']),
  programId: z.string(),
  programName: z.string(),
  kind: z.string(),
  guestId: z.string().nullable(),
  levelCode: z.string().nullable(),
  levelName: z.string().nullable(),
  pointsBalance: z.number().int(),
  pointsAvailable: z.number().int().describe('Usable now (not pending, not expired)'),
  pointsPending: z.number().int(),
  pointsHeld: z.number().int(),
  giftBalanceMinor: z.number().int(),
  giftExpiresAt: z.date().nullable(),
  stamps: z.number().int(),
  stampsGoal: z.number().int().nullable(),
  spendMinor: z.number().int(),
  visits: z.number().int(),
  createdAt: z.date(),
  lastOperationAt: z.date().nullable(),
});

export const issueCardBody = z.strictObject({
  programId: z.uuid(),
  guestId: z.uuid().nullable().optional(),
  giftNominalMinor: z.number().int().positive().optional(),
});

export const cardStatusBody = z.strictObject({ status: z.enum(['active', 'blocked', 'deleted']), reason: z.string().trim().max(500).optional() });
export const adjustBody = z.strictObject({
  unit: z.enum(['points', 'minor', 'stamps']),
  amount: z.number().int().refine((n) => n !== 0, 'Must not be zero'),
  reason: z.string().trim().min(3, 'Give a reason (3+ characters)').max(500),
});
export const levelBody = z.strictObject({ levelCode: z.string().min(1).max(32), reason: z.string().trim().min(3).max(500) });
export const cardListQuery = z.strictObject({
  programId: z.uuid().optional(),
  status: z.enum(['active', 'blocked', 'deleted']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
});
export const ledgerQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.uuid().optional() });
export const ledgerView = z.object({
  id: z.string(),
  kind: z.string(),
  unit: z.string(),
  amount: z.number().int(),
  balanceAfter: z.number().int(),
  checkoutId: z.string().nullable(),
  refundId: z.string().nullable(),
  linkedEntryId: z.string().nullable(),
  reason: z.string().nullable(),
  actorType: z.string(),
  actorId: z.string(),
  createdAt: z.date(),
});

export const lookupQuery = z
  .strictObject({
    number: z.string().trim().regex(/^[\d\s-]{6,24}$/, 'Digits only').optional(),
    qr: z.string().trim().min(1).max(200).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
    programId: z.uuid().optional(),
  })
  .refine((q) => q.number || q.qr || q.phone, { message: 'Give number, qr or phone', path: ['number'] });
