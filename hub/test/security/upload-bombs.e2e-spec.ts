import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { PNG } from 'pngjs';
import { systemActor } from '../../src/shared/context';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { pngBomb } from './bombs';

const MB = 1024 * 1024;

/*
 * Issue 19, decompression bombs: a pass image declaring 11000×11000 pixels is refused from its
 * header (422 naming the field) without being decoded — memory stays flat and /healthz keeps
 * answering. Figures (RSS growth, event-loop stall) are printed, never asserted as timings.
 */
describeEachDb('Upload bombs', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let programId: string;
  let bomb: Buffer;

  beforeAll(async () => {
    bomb = await pngBomb(11000, 11000);
    t = await createTestHub({ db: backend });
    b = await t.business('Bomb Café');
    programId = (
      await loyalty(t, b).program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5 }, levels: [{ code: 'base', name: 'Base', threshold: 0 }] })
    ).id;
  });
  afterAll(() => t.close());

  it('refuses a PNG declaring 11000×11000 with a 422 naming the field, without decoding it; /healthz answers meanwhile', async () => {
    const url = await t.listen();
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const upload = fetch(`${url}/v1/admin/wallet/designs/${programId}/images/strip`, {
      method: 'PUT',
      headers: { cookie: b.ownerCookie, 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ contentBase64: bomb.toString('base64') }),
    });
    const health = fetch(`${url}/healthz`);
    const [up, hz] = await Promise.all([upload, health]);
    clearInterval(sampler);
    loop.disable();
    peak = Math.max(peak, process.memoryUsage().rss);
    const body = (await up.json()) as { code: string; errors?: { field: string; message: string }[] };
    const growthMb = Math.round((peak - rssBefore) / MB);
    const stallMs = Math.round(loop.max / 1e6);
    // eslint-disable-next-line no-console -- the figures are part of the report (issue 19), never asserted as timings
    console.log(
      `[${backend}] PNG bomb ${Math.round(bomb.length / 1024)} KB declaring 11000×11000: ${up.status} ${body.code}; RSS +${growthMb} MB; event-loop stall max ${stallMs} ms`,
    );
    expect(up.status).toBe(422);
    expect(body.code).toBe('image_too_many_pixels');
    expect(body.errors).toEqual([{ field: 'contentBase64', message: expect.stringContaining('11000×11000') }]);
    expect(hz.status).toBe(200);
    // Decoding would inflate ~480 MB of pixels; refusing from the header keeps memory flat.
    expect(growthMb).toBeLessThan(150);
  });

  it('still accepts a real strip image (decoded off the event loop) and refuses a damaged one', async () => {
    const p = new PNG({ width: 750, height: 246 });
    p.data.fill(200);
    const good = PNG.sync.write(p);
    const put = (buf: Buffer) =>
      t.http
        .put(`/v1/admin/wallet/designs/${programId}/images/strip`)
        .set('Cookie', b.ownerCookie)
        .send({ contentBase64: buf.toString('base64') });
    expect((await put(good)).body).toMatchObject({ slot: 'strip', width: 750, height: 246, mime: 'image/png' });
    const bad = await put(good.subarray(0, good.length - 30));
    expect([bad.status, bad.body.code, bad.body.errors?.[0]?.field]).toEqual([422, 'corrupt_image', 'contentBase64']);
  });

  it('caps the size of a service-account key upload (the JSON object form included)', async () => {
    const huge = { client_email: 'a@b.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----x', padding: 'x'.repeat(50_000) };
    const res = await t.http.put('/v1/admin/wallet/google').set('Cookie', b.ownerCookie).send({ issuerId: '3388000000012345678', serviceAccount: huge });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'serviceAccount', message: expect.stringContaining('too large') })]),
    );
  });

  it('caps a CSV import by bytes: a declared length over the cap is refused before reading, a streamed one while reading', async () => {
    const url = await t.listen();
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/v1/admin/imports?dryRun=true`, {
        method: 'POST',
        headers: { cookie: b.ownerCookie, 'content-type': 'text/csv', 'content-length': String(101 * MB) },
      });
      req.on('response', (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: s });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('phone,name\n+79990000001,Anna\n');
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body)).toMatchObject({ code: 'file_too_large' });
    // Without a length (chunked), the bytes are counted as they stream.
    const ctx = { businessId: b.businessId, actor: systemActor('test') };
    const rows = Readable.from(
      (function* () {
        yield 'phone,name\n';
        for (let i = 0; i < 2000; i++) yield `+7999${String(i).padStart(7, '0')},Guest ${i}\n`;
      })(),
    );
    await expect(t.hub.services.imports.upload(ctx, rows, { dryRun: true, maxBytes: 10_000 })).rejects.toMatchObject({ status: 413, code: 'file_too_large' });
    expect(await t.hub.services.imports.list(ctx)).toEqual([]);
  });
});
