import QRCode from 'qrcode';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';

export const qrQuery = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'An http(s) address' })
    .max(2000)
    .describe('The address the code opens: a registration page with UTM tags, the web scanner, a card page'),
  format: z.enum(['svg', 'png']).default('svg').describe('svg (prints sharp at any size) or png'),
  size: z.coerce.number().int().min(64).max(2048).default(512).describe('PNG width and height in pixels'),
});

/** A QR code of an address as SVG or PNG (quiet zone included, error correction M). */
export async function qrImage(q: z.infer<typeof qrQuery>): Promise<{ mime: string; body: Buffer | string }> {
  const o = { margin: 2, errorCorrectionLevel: 'M' as const };
  if (q.format === 'png') return { mime: 'image/png', body: await QRCode.toBuffer(q.url, { ...o, type: 'png', width: q.size }) };
  return { mime: 'image/svg+xml', body: await QRCode.toString(q.url, { ...o, type: 'svg' }) };
}

/**
 * `GET /v1/admin/qr`: one generator for every QR code the console prints — registration forms and
 * their table tents, UTM links, the web scanner for the till's tablet.
 */
export function qrRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/v1/admin/qr',
      summary: 'A QR code (SVG or PNG) of an address, to print or to download',
      tags: ['Print'],
      auth: { roles: ROLE_SETS.staff },
      query: qrQuery,
      errors: [400],
    },
    async (req, res) => {
      const img = await qrImage(req.valid.query as z.infer<typeof qrQuery>);
      res.status(200).type(img.mime).set('Cache-Control', 'private, max-age=3600').send(img.body);
    },
  );
}
