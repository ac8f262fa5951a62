import { PNG } from 'pngjs';
import type { AppleTestCerts } from '../../../fixtures/src/apple/certs';
import type { TestBusiness, TestHub } from '../harness';

/** Polls until `fn` returns a truthy value (no timing assertion: only a generous ceiling). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what = 'condition',
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A real PNG of the given size, filled with one colour. */
export function png(width: number, height: number, rgb: [number, number, number] = [30, 102, 245]): Buffer {
  const p = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    p.data[i * 4] = rgb[0];
    p.data[i * 4 + 1] = rgb[1];
    p.data[i * 4 + 2] = rgb[2];
    p.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(p);
}

/** A minimal JPEG header with a SOF0 frame of the given size (enough for a dimension check). */
export function jpegHeader(width: number, height: number): Buffer {
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
  ]);
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/** Uploads the test Pass Type ID certificate (and the APNs key) for a business through the console API. */
export async function uploadAppleCert(t: TestHub, b: TestBusiness, certs: AppleTestCerts, withApns = true) {
  const res = await t.http
    .put('/v1/admin/wallet/apple')
    .set('Cookie', b.ownerCookie)
    .send({
      certificatePem: certs.signerCertPem,
      privateKeyPem: certs.signerKeyPem,
      ...(withApns ? { apnsKeyPem: certs.apnsKeyPem, apnsKeyId: certs.apnsKeyId } : {}),
    });
  if (res.status !== 200) throw new Error(`apple cert upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The public links of a card (page, .pkpass, Google). */
export async function cardLinks(
  t: TestHub,
  b: TestBusiness,
  cardId: string,
): Promise<{ cardPageUrl: string; applePassUrl: string | null; googleSaveUrl: string | null }> {
  const res = await t.http.get(`/v1/admin/cards/${cardId}/wallet`).set('Cookie', b.ownerCookie).expect(200);
  return res.body;
}

/** Path and query of an absolute URL (supertest talks to the app directly). */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

/** A supertest body parser that keeps a binary body as a Buffer (`.buffer(true).parse(binary)`). */
export function binary(res: any, cb: (err: Error | null, body: any) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
