import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Request, Response, Router } from 'express';
import type { Lang } from '../../shared/i18n';

/**
 * Official Wallet badges on the registration's success screen, served from the hub's own origin.
 *
 * - Google: the "Add to Google Wallet" button artwork Google publishes under Apache-2.0
 *   (github.com/google-wallet/flutter-plugin, assets/*_wallet_button_primary.svg) ships unmodified
 *   in public/badges/ with its LICENSE and NOTICE.
 * - Apple: Apple's badge has no licence to redistribute, so none ships here. An operator who
 *   downloaded it from developer.apple.com drops `apple-<lang>.svg` into `${DATA_DIR}/wallet-badges/`;
 *   the success screen shows it when present (looked up on each success screen, no restart), else
 *   the plain «Добавить в Apple Wallet» button.
 *
 * URLs carry the content's hash (`…/google-wallet-ru.<hash>.svg`), so a phone caches them for a year.
 */

export interface Badge {
  url: string;
  width: number | null;
  height: number | null;
}

interface Asset {
  hash: string;
  plain: Buffer;
  gzip: Buffer;
  br: Buffer;
  width: number | null;
  height: number | null;
}

const BUILT_IN = path.join(__dirname, 'public', 'badges');
/** An operator's file above this size is not a badge (and would break the page's weight budget). */
export const MAX_BADGE_BYTES = 64 * 1024;
const PREFIX = '/static/engagement/badges/';

/** The size an SVG declares on its root (width/height, else the viewBox), for the img's aspect ratio. */
function svgSize(svg: string): { width: number | null; height: number | null } {
  const root = /<svg\b[^>]*>/i.exec(svg)?.[0] ?? '';
  const num = (name: string) => {
    const m = new RegExp(`\\s${name}="\\s*([\\d.]+)(px)?\\s*"`, 'i').exec(root);
    return m ? Number(m[1]) : null;
  };
  let width = num('width');
  let height = num('height');
  if (width === null || height === null) {
    const vb = /\sviewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/i.exec(root);
    if (vb) [width, height] = [Number(vb[1]), Number(vb[2])];
  }
  return width && height ? { width, height } : { width: null, height: null };
}

function asset(plain: Buffer): Asset {
  return {
    hash: createHash('sha256').update(plain).digest('hex').slice(0, 12),
    plain,
    gzip: gzipSync(plain, { level: 9 }),
    br: brotliCompressSync(plain, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: plain.length } }),
    ...svgSize(plain.toString('utf8')),
  };
}

export class WalletBadges {
  private readonly google = new Map<Lang, Asset>();
  /** Operator files by language, re-read when their size or time changes. */
  private readonly apple = new Map<Lang, { stamp: string; asset: Asset | null }>();

  constructor(
    /** `${DATA_DIR}/wallet-badges`, or null (no operator badges). */
    readonly operatorDir: string | null,
    private readonly warn: (msg: string, file: string) => void = () => {},
  ) {
    for (const lang of ['ru', 'en'] as const) this.google.set(lang, asset(fs.readFileSync(path.join(BUILT_IN, `google-wallet-${lang}.svg`))));
  }

  googleBadge(lang: Lang): Badge {
    const a = this.google.get(lang)!;
    return { url: `${PREFIX}google-wallet-${lang}.${a.hash}.svg`, width: a.width, height: a.height };
  }

  /** Apple's badge in the page's language when the operator put one in place, else null. */
  async appleBadge(lang: Lang): Promise<Badge | null> {
    const a = await this.appleAsset(lang);
    return a ? { url: `${PREFIX}apple-${lang}.${a.hash}.svg`, width: a.width, height: a.height } : null;
  }

  private async appleAsset(lang: Lang): Promise<Asset | null> {
    if (!this.operatorDir) return null;
    const file = path.join(this.operatorDir, `apple-${lang}.svg`);
    const st = await fs.promises.stat(file).catch(() => null);
    if (!st?.isFile()) {
      this.apple.delete(lang);
      return null;
    }
    const stamp = `${st.size}:${st.mtimeMs}`;
    const known = this.apple.get(lang);
    if (known?.stamp === stamp) return known.asset;
    let found: Asset | null = null;
    if (st.size > MAX_BADGE_BYTES) this.warn(`wallet badge larger than ${MAX_BADGE_BYTES} bytes, ignored`, file);
    else {
      const plain = await fs.promises.readFile(file).catch(() => null);
      if (plain && /<svg\b/i.test(plain.toString('utf8'))) found = asset(plain);
      else this.warn('wallet badge is not an SVG file, ignored', file);
    }
    this.apple.set(lang, { stamp, asset: found });
    return found;
  }

  /** GET /static/engagement/badges/<google-wallet|apple>-<lang>.<hash>.svg (a stale hash is a 404). */
  routes(router: Router): void {
    router.get(`${PREFIX}:name`, async (req: Request, res: Response) => {
      const m = /^(google-wallet|apple)-(ru|en)\.([0-9a-f]{12})\.svg$/.exec(String(req.params.name));
      const lang = m?.[2] as Lang | undefined;
      const a = !m || !lang ? null : m[1] === 'apple' ? await this.appleAsset(lang) : (this.google.get(lang) ?? null);
      if (!a || a.hash !== m![3]) {
        res.status(404).set('Cache-Control', 'no-store').type('text/plain').send('Not found');
        return;
      }
      // An image, never a document: a badge opened on its own runs no script.
      res
        .set('Cache-Control', 'public, max-age=31536000, immutable')
        .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        .type('image/svg+xml')
        .vary('Accept-Encoding');
      // Brotli where the browser takes it (every current one does): the smallest of the two.
      if (req.acceptsEncodings('br') === 'br') res.set('Content-Encoding', 'br').send(a.br);
      else if (req.acceptsEncodings('gzip') === 'gzip') res.set('Content-Encoding', 'gzip').send(a.gzip);
      else res.send(a.plain);
    });
  }
}
