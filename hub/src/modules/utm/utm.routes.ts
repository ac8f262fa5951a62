import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import type { UtmService } from './utm.service';

const slug = z.string().regex(/^[a-z0-9-]{3,64}$/i, 'The registration page address (slug)');
const token = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._~-]+$/, 'Letters, digits, dot, dash, underscore, tilde');

export const utmTagBody = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('What the tag is for: "Table tents, Tverskaya"'),
  source: token.describe('utm_source, e.g. tabletent, vk, instagram'),
  campaign: token.nullable().optional().describe('utm_campaign, e.g. spring'),
  medium: token.nullable().optional().describe('utm_medium, e.g. print, social'),
  formSlug: slug.describe('The registration page the link opens'),
});

export const utmTagView = z.object({
  id: z.string(),
  name: z.string(),
  source: z.string(),
  campaign: z.string().nullable(),
  medium: z.string().nullable(),
  formSlug: z.string(),
  url: z.string(),
  registrations: z.number().int(),
  installs: z.number().int(),
  revenueMinor: z.number().int(),
  createdAt: z.string(),
});

export function utmRoutes(api: Api, utm: UtmService): void {
  const tags = ['UTM tags'];
  const idParam = z.strictObject({ id: z.uuid() });
  api.route(
    {
      method: 'get',
      path: '/v1/admin/utm-tags',
      summary: 'UTM tags with their registration links, registrations, wallet installs and revenue',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      response: z.object({ items: z.array(utmTagView) }),
    },
    async (req) => ({ items: await utm.list(req.ctx) }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/utm-tags',
      summary: 'Create a UTM tag: a registration link carrying it, and its QR code',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      body: utmTagBody,
      response: utmTagView,
      status: 201,
      errors: [409, 422],
    },
    async (req) => utm.create(req.ctx, req.valid.body as z.infer<typeof utmTagBody>),
  );
  api.route(
    {
      method: 'delete',
      path: '/v1/admin/utm-tags/:id',
      summary: 'Delete a UTM tag (guests keep their source)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      params: idParam,
      errors: [404],
    },
    async (req) => {
      await utm.remove(req.ctx, req.valid.params.id);
    },
  );
  for (const format of ['svg', 'png'] as const) {
    api.route(
      {
        method: 'get',
        path: `/v1/admin/utm-tags/:id/qr.${format}`,
        summary: `The tag's link as a printable QR code (${format.toUpperCase()})`,
        tags,
        auth: { roles: ROLE_SETS.marketing },
        params: idParam,
        errors: [404],
      },
      async (req, res) => {
        const body = await utm.qr(req.ctx, req.valid.params.id, format);
        res
          .status(200)
          .type(format === 'svg' ? 'image/svg+xml' : 'image/png')
          .set('Content-Disposition', `attachment; filename="utm-qr.${format}"`)
          .send(body);
      },
    );
  }
}
