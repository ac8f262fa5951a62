import { randomBytes } from 'node:crypto';

let lastMs = 0;

// Random bytes come from a pool refilled 4 KiB at a time (one syscall per 256 ids).
let pool = randomBytes(4096);
let offset = 0;
function take16(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + 16);
  offset += 16;
  return out;
}
let seq = 0;

/** UUIDv7: time-ordered ids, so primary-key inserts stay local in InnoDB and ordering by id follows time. */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs += 1;
    ms = lastMs;
  } else {
    lastMs = ms;
    seq = take16().readUInt16BE(0) & 0x7ff; // from the pool too: no syscall per millisecond
  }
  const b = Buffer.from(take16());
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const idSchemaRegex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
