import { inflateRawSync } from 'node:zlib';

/** At most this many entries and bytes are read from a pass (a real one has about ten small files). */
const MAX_ENTRIES = 100;
const MAX_BYTES = 10 * 1024 * 1024;

/**
 * The files of a ZIP archive by name, read through its central directory (stored and deflated
 * entries): enough to open the `.pkpass` bundles the hub signs and check them. Throws on anything
 * that is not a well-formed ZIP.
 */
export function readZip(buf: Buffer): Record<string, Buffer> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  if (count > MAX_ENTRIES) throw new Error(`${count} entries`);
  let p = buf.readUInt32LE(eocd + 16);
  const files: Record<string, Buffer> = {};
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    total += size;
    if (total > MAX_BYTES) throw new Error('too large');
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) throw new Error(`${name} is cut short`);
    const raw = buf.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw, { maxOutputLength: MAX_BYTES }) : null;
    if (!data) throw new Error(`unsupported compression ${method} for ${name}`);
    if (data.length !== size) throw new Error(`size mismatch for ${name}`);
    files[name] = data;
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}
