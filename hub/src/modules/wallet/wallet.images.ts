import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { PNG } from 'pngjs';
import type { ImageSlot } from './wallet.schemas';

/*
 * Pass images: checking uploads (a real PNG or JPEG of sensible dimensions, not just a name) and
 * drawing the images the hub generates (a plain icon when none was uploaded, the stamps strip).
 */

export type ImageCheck =
  | { ok: true; mime: 'image/png' | 'image/jpeg'; width: number; height: number }
  | { ok: false; code: 'not_an_image' | 'corrupt_image' | 'bad_dimensions' | 'image_too_many_pixels'; message: string };

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height of a PNG (IHDR) or JPEG (first SOFn marker); null when the bytes are neither. */
export function sniffImage(buf: Buffer): { mime: 'image/png' | 'image/jpeg'; width: number; height: number } | null {
  if (buf.length >= 24 && buf.subarray(0, 8).equals(PNG_MAGIC) && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { mime: 'image/png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    let i = 2;
    while (i + 9 < buf.length) {
      if (buf[i] !== 0xff) return null;
      const marker = buf[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        i += 2;
        continue;
      }
      const len = buf.readUInt16BE(i + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { mime: 'image/jpeg', height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
      if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
      i += 2 + len;
    }
  }
  return null;
}

/** Allowed pixel sizes per slot: from Apple's @1x size up to @3x (Google scales what it gets). */
export const SLOT_LIMITS: Record<ImageSlot, { minW: number; minH: number; maxW: number; maxH: number; square?: boolean; base: number }> = {
  icon: { minW: 29, minH: 29, maxW: 1024, maxH: 1024, square: true, base: 29 },
  logo: { minW: 20, minH: 10, maxW: 480, maxH: 150, base: 160 },
  strip: { minW: 320, minH: 80, maxW: 1125, maxH: 432, base: 375 },
};

export const MAX_IMAGE_BYTES = 512 * 1024;

/**
 * Hard caps on what any uploaded image may declare, checked from the header before anything is
 * decoded: a few hundred KB of compressed PNG can declare 11000×11000 pixels, i.e. 480 MB of RGBA
 * once inflated (a decompression bomb). Slot limits are far smaller; these hold for every upload.
 */
export const MAX_IMAGE_SIDE = 4096;
export const MAX_IMAGE_PIXELS = 16 * 1024 * 1024;

/**
 * Checks the header of an upload for a slot without decoding it: magic bytes, then the declared
 * dimensions against the hard caps and the slot's limits. Cheap and synchronous.
 */
export function checkImageHeader(buf: Buffer, slot: ImageSlot): ImageCheck {
  const sniff = sniffImage(buf);
  if (!sniff) return { ok: false, code: 'not_an_image', message: 'The file is not a PNG or JPEG image' };
  const { width: w, height: h } = sniff;
  if (w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || w * h > MAX_IMAGE_PIXELS) {
    return {
      ok: false,
      code: 'image_too_many_pixels',
      message: `The image declares ${w}×${h} pixels; images above ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} (16 megapixels) are refused before decoding`,
    };
  }
  const lim = SLOT_LIMITS[slot];
  if (w < lim.minW || h < lim.minH || w > lim.maxW || h > lim.maxH) {
    return {
      ok: false,
      code: 'bad_dimensions',
      message: `A ${slot} must be from ${lim.minW}×${lim.minH} to ${lim.maxW}×${lim.maxH} pixels; this one is ${w}×${h}`,
    };
  }
  if (lim.square && Math.abs(w - h) > Math.max(2, w * 0.1)) {
    return { ok: false, code: 'bad_dimensions', message: `A ${slot} must be square; this one is ${w}×${h}` };
  }
  return { ok: true, ...sniff };
}

/**
 * Checks an upload for a slot: the header first ({@link checkImageHeader}: nothing oversized is
 * ever decoded), then — for a PNG — a full decode in a worker thread, so a slow or damaged file
 * never stalls the event loop; a JPEG must end with its EOI marker.
 */
export async function checkImage(buf: Buffer, slot: ImageSlot): Promise<ImageCheck> {
  const head = checkImageHeader(buf, slot);
  if (!head.ok) return head;
  if (head.mime === 'image/png') {
    if (!(await decodesInWorker(buf))) return { ok: false, code: 'corrupt_image', message: 'The PNG file is damaged and cannot be read' };
  } else if (buf[buf.length - 2] !== 0xff || buf[buf.length - 1] !== 0xd9) {
    return { ok: false, code: 'corrupt_image', message: 'The JPEG file is truncated' };
  }
  return head;
}

// The worker gets pngjs's resolved path: an eval'd worker resolves modules from the process's
// working directory, not from this file.
const DECODE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PNG } = require(workerData.pngjs);
let ok = false;
try { PNG.sync.read(Buffer.from(workerData.bytes)); ok = true; } catch { ok = false; }
parentPort.postMessage(ok);
`;
const DECODE_TIMEOUT_MS = 10_000;
const MAX_DECODERS = 2;
let decoders = 0;
const waiting: (() => void)[] = [];

/** Decodes a PNG in a worker thread (at most two at a time, each bounded in memory and time); true when it decodes. */
async function decodesInWorker(buf: Buffer): Promise<boolean> {
  if (decoders >= MAX_DECODERS) await new Promise<void>((r) => waiting.push(r));
  decoders++;
  try {
    return await new Promise<boolean>((resolve) => {
      const bytes = new Uint8Array(buf); // a copy: pooled Buffers cannot be transferred
      const w = new Worker(DECODE_SOURCE, {
        eval: true,
        workerData: { pngjs: require.resolve('pngjs'), bytes },
        transferList: [bytes.buffer],
        resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32 },
      });
      const timer = setTimeout(() => void w.terminate(), DECODE_TIMEOUT_MS);
      let answer = false;
      w.once('message', (ok: boolean) => (answer = ok));
      w.once('error', () => (answer = false));
      w.once('exit', () => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  } finally {
    decoders--;
    waiting.shift()?.();
  }
}

export const sha1Hex = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** The pass file name for an image by its scale (`logo.png`, `logo@2x.png`, `logo@3x.png`). */
export function passFileName(slot: ImageSlot, width: number): string {
  const scale = Math.min(3, Math.max(1, Math.round(width / SLOT_LIMITS[slot].base)));
  return scale === 1 ? `${slot}.png` : `${slot}@${scale}x.png`;
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

type Rgb = [number, number, number];

export function parseHex(hex: string): Rgb {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `rgb(r, g, b)`, the colour syntax of pass.json. */
export const rgbCss = (hex: string) => {
  const [r, g, b] = parseHex(hex);
  return `rgb(${r}, ${g}, ${b})`;
};

function canvas(width: number, height: number, bg: Rgb): PNG {
  const png = new PNG({ width, height, colorType: 6 });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = bg[0];
    png.data[i * 4 + 1] = bg[1];
    png.data[i * 4 + 2] = bg[2];
    png.data[i * 4 + 3] = 255;
  }
  return png;
}

/** A disc (filled) or ring (outline `ring` px wide), anti-aliased on its edge. */
function disc(png: PNG, cx: number, cy: number, r: number, color: Rgb, ring = 0): void {
  const x0 = Math.max(0, Math.floor(cx - r - 1));
  const x1 = Math.min(png.width - 1, Math.ceil(cx + r + 1));
  const y0 = Math.max(0, Math.floor(cy - r - 1));
  const y1 = Math.min(png.height - 1, Math.ceil(cy + r + 1));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      let a = Math.min(1, Math.max(0, r - d + 0.5));
      if (ring > 0) a = Math.min(a, Math.min(1, Math.max(0, d - (r - ring) + 0.5)));
      if (a <= 0) continue;
      const i = (y * png.width + x) * 4;
      for (let c = 0; c < 3; c++) png.data[i + c] = Math.round(png.data[i + c]! * (1 - a) + color[c]! * a);
    }
  }
}

const cache = new Map<string, Buffer>();
function cached(key: string, make: () => Buffer): Buffer {
  const hit = cache.get(key);
  if (hit) return hit;
  const out = make();
  if (cache.size > 500) cache.clear();
  cache.set(key, out);
  return out;
}

/** A plain icon when the business uploaded none: its background colour with a lighter disc. */
export function defaultIcon(size: number, backgroundHex: string, foregroundHex: string): Buffer {
  return cached(`icon:${size}:${backgroundHex}:${foregroundHex}`, () => {
    const png = canvas(size, size, parseHex(backgroundHex));
    disc(png, size / 2, size / 2, size * 0.3, parseHex(foregroundHex));
    return PNG.sync.write(png);
  });
}

/**
 * The stamps strip of a stamp card (Apple's storeCard strip, @2x: 750×246): `goal` circles in
 * one or two rows, the first `count` filled. Large goals are drawn as a progress bar instead.
 */
export function stampsStrip(goal: number, count: number, colors: { background: string; foreground: string; label: string }, scale = 2): Buffer {
  const filled = Math.max(0, Math.min(goal, count));
  return cached(`strip:${goal}:${filled}:${colors.background}:${colors.foreground}:${colors.label}:${scale}`, () => {
    const w = 375 * scale;
    const h = 123 * scale;
    const png = canvas(w, h, parseHex(colors.background));
    const fg = parseHex(colors.foreground);
    const dim = parseHex(colors.label);
    if (goal > 20) {
      const barH = 16 * scale;
      const y0 = Math.round(h / 2 - barH / 2);
      const x0 = 20 * scale;
      const x1 = w - 20 * scale;
      const cut = x0 + Math.round(((x1 - x0) * filled) / goal);
      for (let y = y0; y < y0 + barH; y++) {
        for (let x = x0; x < x1; x++) {
          const c = x < cut ? fg : dim;
          const i = (y * w + x) * 4;
          png.data[i] = c[0];
          png.data[i + 1] = c[1];
          png.data[i + 2] = c[2];
        }
      }
      return PNG.sync.write(png);
    }
    const rows = goal > 10 ? 2 : 1;
    const perRow = Math.ceil(goal / rows);
    const cell = Math.min((w - 20 * scale) / perRow, (h - 10 * scale) / rows);
    const r = cell * 0.38;
    for (let k = 0; k < goal; k++) {
      const row = Math.floor(k / perRow);
      const col = k % perRow;
      const inRow = row === rows - 1 ? goal - perRow * (rows - 1) : perRow;
      const left = (w - inRow * cell) / 2;
      const top = (h - rows * cell) / 2;
      const cx = left + col * cell + cell / 2;
      const cy = top + row * cell + cell / 2;
      if (k < filled) disc(png, cx, cy, r, fg);
      else disc(png, cx, cy, r, dim, Math.max(2, Math.round(scale * 2)));
    }
    return PNG.sync.write(png);
  });
}
