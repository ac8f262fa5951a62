import { crc32, createDeflate } from 'node:zlib';

/**
 * A small, valid PNG that declares `width`×`height` 8-bit grey pixels, all zero: the deflated
 * scanlines compress about 1000:1, so 11000×11000 is ~120 KB on the wire and ~480 MB of RGBA once
 * decoded — a decompression bomb. Built by streaming so the test itself never holds the raw pixels.
 */
export async function pngBomb(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((r) => deflate.on('end', () => r()));
  const row = Buffer.alloc(width + 1); // filter byte 0 + one grey byte per pixel
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise<void>((r) => deflate.once('drain', () => r()));
  }
  deflate.end();
  await done;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(out)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
