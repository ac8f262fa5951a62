import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { idParam } from '../tenants/tenants.schemas';
import { couponOut, programOut, type ProgramsService } from './programs.service';
import { createProgramBody, levelPolicySchema, levelsSchema, programRulesSchema, referralSchema } from './programs.schemas';

export const updateProgramBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  rules: programRulesSchema.optional(),
  levels: levelsSchema.optional(),
  levelPolicy: levelPolicySchema.optional(),
  welcomeBonusPoints: z.number().int().min(0).optional(),
  referral: referralSchema.nullable().optional(),
  active: z.boolean().optional(),
});
export type UpdateProgramBody = z.infer<typeof updateProgramBody>;

const programView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  rules: z.record(z.string(), z.unknown()),
  levels: z.array(z.record(z.string(), z.unknown())),
  levelPolicy: z.record(z.string(), z.unknown()).nullable(),
  welcomeBonusPoints: z.number().int(),
  referral: z.record(z.string(), z.unknown()).nullable(),
  active: z.boolean(),
  cardPrefix: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const couponView = z.object({
  id: z.string(),
  programId: z.string(),
  code: z.string(),
  status: z.string(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  guestId: z.string().nullable(),
  validFrom: z.date().nullable(),
  validTo: z.date().nullable(),
  note: z.string().nullable(),
  createdAt: z.date(),
});

const generateBody = z.strictObject({
  count: z.number().int().min(1).max(100000),
  prefix: z
    .string()
    .regex(/^[A-Z0-9-]{0,16}$/, 'Capital letters, digits and -')
    .optional(),
  length: z.number().int().min(6).max(20).optional(),
  maxUses: z.number().int().min(1).nullable().optional(),
  validFrom: z.coerce.date().nullable().optional(),
  validTo: z.coerce.date().nullable().optional(),
  note: z.string().max(200).optional(),
});

const couponBody = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{3,64}$/, 'Letters, digits, _ and -; 3 to 64 characters'),
  maxUses: z.number().int().min(1).nullable().optional(),
  guestId: z.uuid().nullable().optional(),
  validFrom: z.coerce.date().nullable().optional(),
  validTo: z.coerce.date().nullable().optional(),
  note: z.string().max(200).optional(),
});

const programCouponParams = z.strictObject({ id: z.uuid() });

export function programsRoutes(api: Api, programs: ProgramsService): void {
  const tags = ['Mechanics'];
  api.route({ method: 'get', path: '/v1/admin/programs', summary: 'List programs (card templates)', tags, auth: { roles: ROLE_SETS.staff }, response: z.object({ items: z.array(programView) }) }, async (req) => ({
    items: (await programs.list(req.ctx)).map(programOut),
  }));
  api.route(
    { method: 'post', path: '/v1/admin/programs', summary: 'Create a program of one of the five kinds', tags, auth: { roles: ROLE_SETS.marketing }, body: createProgramBody, response: programView, status: 201 },
    async (req) => programOut(await programs.create(req.ctx, req.valid.body)),
  );
  api.route({ method: 'get', path: '/v1/admin/programs/:id', summary: 'One program', tags, auth: { roles: ROLE_SETS.staff }, params: idParam, response: programView, errors: [404] }, async (req) =>
    programOut(await programs.get(req.ctx, req.valid.params.id)),
  );
  api.route(
    { method: 'patch', path: '/v1/admin/programs/:id', summary: 'Change a program (its kind stays)', tags, auth: { roles: ROLE_SETS.marketing }, params: idParam, body: updateProgramBody, response: programView, errors: [404] },
    async (req) => programOut(await programs.update(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/programs/:id/coupons',
      summary: 'Codes of a coupon program',
      tags,
      auth: { roles: ROLE_SETS.staff },
      params: programCouponParams,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.uuid().optional() }),
      response: z.object({ items: z.array(couponView), nextCursor: z.string().nullable() }),
    },
    async (req) => {
      const r = await programs.listCoupons(req.ctx, req.valid.params.id, req.valid.query);
      return { items: r.items.map(couponOut), nextCursor: r.nextCursor };
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/programs/:id/coupons',
      summary: 'Add one coupon code',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: programCouponParams,
      body: couponBody,
      response: couponView,
      status: 201,
      errors: [404, 409],
    },
    async (req) => couponOut(await programs.createCoupon(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/programs/:id/coupons/generate',
      summary: 'Generate coupon codes in bulk',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: programCouponParams,
      body: generateBody,
      response: z.object({ count: z.number().int(), codes: z.array(z.string()) }),
      status: 201,
      errors: [404],
    },
    async (req) => {
      const made = await programs.generateCoupons(req.ctx, req.valid.params.id, req.valid.body);
      return { count: made.length, codes: made.map((c) => c.code) };
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/coupons/:id/status',
      summary: 'Enable or disable a coupon code',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: idParam,
      body: z.strictObject({ status: z.enum(['active', 'disabled']) }),
      response: couponView,
      errors: [404],
    },
    async (req) => couponOut(await programs.setCouponStatus(req.ctx, req.valid.params.id, req.valid.body.status)),
  );
}
