import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { PNG } from 'pngjs';
import { installNativeRsa } from './wallet.apple';
import { checkImage, checkImageHeader, passFileName, sniffImage, stampsStrip } from './wallet.images';

const png = (w: number, h: number) => PNG.sync.write(new PNG({ width: w, height: h }));

describe('wallet images', () => {
  it('reads PNG and JPEG dimensions from the bytes, not the name', () => {
    expect(sniffImage(png(160, 50))).toEqual({ mime: 'image/png', width: 160, height: 50 });
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x00, 0x7b, 0x01, 0x77, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd9,
    ]);
    expect(sniffImage(jpeg)).toEqual({ mime: 'image/jpeg', width: 375, height: 123 });
    expect(sniffImage(Buffer.from('GIF89a......'))).toBeNull();
    expect(sniffImage(Buffer.from('<svg/>'))).toBeNull();
  });

  it('checks each slot’s limits and refuses damaged files', async () => {
    expect(await checkImage(png(29, 29), 'icon')).toMatchObject({ ok: true });
    expect(await checkImage(png(29, 60), 'icon')).toMatchObject({ ok: false, code: 'bad_dimensions' });
    expect(await checkImage(png(2000, 100), 'logo')).toMatchObject({ ok: false, code: 'bad_dimensions' });
    const p = png(750, 246);
    expect(await checkImage(p.subarray(0, p.length - 20), 'strip')).toMatchObject({ ok: false, code: 'corrupt_image' });
    expect(await checkImage(Buffer.from('hello'), 'logo')).toMatchObject({ ok: false, code: 'not_an_image' });
    expect(passFileName('logo', 480)).toBe('logo@3x.png');
    expect(passFileName('strip', 375)).toBe('strip.png');
  });

  it('refuses an image declaring more than 4096×4096 / 16 MP from its header alone, before any decoding', () => {
    // Only a signature and an IHDR: nothing to decode, so a refusal proves the header decided.
    const ihdr = (w: number, h: number) => {
      const b = Buffer.alloc(33);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
      b.writeUInt32BE(13, 8);
      b.write('IHDR', 12, 'latin1');
      b.writeUInt32BE(w, 16);
      b.writeUInt32BE(h, 20);
      b[24] = 8;
      return b;
    };
    for (const [w, h] of [
      [11000, 11000],
      [4097, 10],
      [4096, 4097],
    ] as const) {
      expect(checkImageHeader(ihdr(w, h), 'strip')).toMatchObject({ ok: false, code: 'image_too_many_pixels', message: expect.stringContaining(`${w}×${h}`) });
    }
    expect(checkImageHeader(ihdr(750, 246), 'strip')).toMatchObject({ ok: true, width: 750, height: 246 });
  });

  it('draws the stamps strip at Apple’s @2x size', () => {
    const img = PNG.sync.read(stampsStrip(6, 2, { background: '#000000', foreground: '#FFFFFF', label: '#808080' }));
    expect([img.width, img.height]).toEqual([750, 246]);
    // The first stamp's centre is filled with the foreground colour; the last one's is background.
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    const cell = Math.min((750 - 20 * 2) / 6, (246 - 20) / 1);
    const left = (750 - 6 * cell) / 2;
    expect(at(Math.round(left + cell / 2), 123)).toEqual([255, 255, 255]);
    expect(at(Math.round(left + 5 * cell + cell / 2), 123)).toEqual([0, 0, 0]);
  });
});

describe('native RSA for passkit-generator', () => {
  it('signs exactly as node-forge does (PKCS#1 v1.5 is deterministic)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const pureForge = forge.pki.privateKeyFromPem(pem);
    installNativeRsa();
    const patched = forge.pki.decryptRsaPrivateKey(pem);
    for (const md of [forge.md.sha1.create(), forge.md.sha256.create()]) {
      md.update('manifest bytes');
      expect(Buffer.from(patched.sign(md), 'binary').toString('hex')).toBe(Buffer.from(pureForge.sign(md), 'binary').toString('hex'));
    }
  });
});
