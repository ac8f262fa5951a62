import { useEffect, useRef } from 'react';
import { BrowserQRCodeSvgWriter } from '@zxing/browser';
import { useI18n } from '../app/i18n';
import { labelOf } from '../app/domain';

export interface PreviewDesign {
  colors: { background: string; foreground: string; label: string };
  texts: { logoText?: string; description?: string; organizationName?: string; labels?: Record<string, string> };
  front: string[];
  back: { rules?: string; contacts?: string; website?: string };
  barcode: { format: string; showNumber: boolean };
}

/** A real QR code (SVG, drawn by ZXing) of a sample card. */
function Qr({ text, size }: { text: string; size: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.replaceChildren();
    try {
      el.appendChild(new BrowserQRCodeSvgWriter().write(text, size, size));
    } catch {
      // an unsupported text: the white box stays empty
    }
  }, [text, size]);
  return <div ref={ref} style={{ width: size, height: size }} />;
}

const SAMPLE_NUMBER = '2700000000011';

/** Sample values of the front fields, as a guest of this kind of card would see them. */
function sample(field: string, kind: string, lang: string): string {
  switch (field) {
    case 'balance':
      return kind === 'gift' ? (lang === 'ru' ? '3 000 ₽' : 'RUB 3,000') : kind === 'stamp' ? '4 / 6' : '1 250';
    case 'level':
      return 'Gold';
    case 'discount':
      return '5 %';
    case 'stamps':
      return '4 / 6';
    case 'expiry':
      return lang === 'ru' ? '31.12.2026' : '31 Dec 2026';
    case 'number':
      return '2700 0000 0001 1';
    case 'name':
      return lang === 'ru' ? 'Анна' : 'Anna';
    default:
      return '—';
  }
}

const DEFAULT_FRONT: Record<string, string[]> = {
  bonus: ['balance', 'level'],
  discount: ['discount', 'level'],
  stamp: ['stamps'],
  gift: ['balance', 'expiry'],
  coupon: ['expiry'],
};

/** A live preview of the pass: Apple Wallet's store-card layout or Google Wallet's loyalty card. */
export function PassPreview({
  design,
  kind,
  platform,
  programName,
  logoUrl,
  stripUrl,
  businessName,
}: {
  design: PreviewDesign;
  kind: string;
  platform: 'apple' | 'google';
  programName: string;
  logoUrl?: string;
  stripUrl?: string;
  businessName: string;
}) {
  const { t, lang } = useI18n();
  const fields = (design.front.length ? design.front : (DEFAULT_FRONT[kind] ?? ['number'])).slice(0, platform === 'apple' ? 4 : 3);
  const label = (f: string) => design.texts.labels?.[f] || labelOf('design.field', f, t);
  const { background, foreground, label: labelColor } = design.colors;
  const title = design.texts.logoText || programName;

  if (platform === 'google') {
    return (
      <div className="pass pass-google" style={{ background }} data-testid="pass-preview">
        <div className="pass-google-head" style={{ color: foreground }}>
          {logoUrl ? (
            <img src={logoUrl} alt="" className="pass-google-logo" />
          ) : (
            <span className="pass-google-logo pass-logo-blank">{businessName.slice(0, 1)}</span>
          )}
          <span>{design.texts.organizationName || businessName}</span>
        </div>
        <div className="pass-google-title" style={{ color: foreground }}>
          {title}
        </div>
        <div className="pass-fields">
          {fields.map((f) => (
            <div key={f} className="pass-field">
              <div style={{ color: labelColor }}>{label(f)}</div>
              <div style={{ color: foreground }}>{sample(f, kind, lang)}</div>
            </div>
          ))}
        </div>
        <div className="pass-barcode">
          <Qr text={`LH1:${SAMPLE_NUMBER}`} size={128} />
          {design.barcode.showNumber ? <div className="pass-number">{SAMPLE_NUMBER}</div> : null}
        </div>
        {stripUrl ? <img src={stripUrl} alt="" className="pass-google-hero" /> : null}
      </div>
    );
  }
  return (
    <div className="pass pass-apple" style={{ background, color: foreground }} data-testid="pass-preview">
      <div className="pass-apple-head">
        {logoUrl ? <img src={logoUrl} alt="" className="pass-apple-logo" /> : <span className="pass-logo-blank">{businessName.slice(0, 1)}</span>}
        <span className="pass-apple-logotext">{title}</span>
        {fields[0] ? (
          <span className="pass-apple-header-field">
            <span style={{ color: labelColor }}>{label(fields[0])}</span>
            <span>{sample(fields[0], kind, lang)}</span>
          </span>
        ) : null}
      </div>
      <div className="pass-apple-strip" style={stripUrl ? { backgroundImage: `url(${stripUrl})` } : undefined}>
        {fields[1] ? (
          <div className="pass-apple-primary">
            <div style={{ color: labelColor }}>{label(fields[1])}</div>
            <div className="pass-apple-primary-value">{sample(fields[1], kind, lang)}</div>
          </div>
        ) : null}
      </div>
      <div className="pass-fields">
        {fields.slice(2).map((f) => (
          <div key={f} className="pass-field">
            <div style={{ color: labelColor }}>{label(f)}</div>
            <div>{sample(f, kind, lang)}</div>
          </div>
        ))}
      </div>
      <div className="pass-barcode">
        <Qr text={`LH1:${SAMPLE_NUMBER}`} size={128} />
        {design.barcode.showNumber ? <div className="pass-number">{SAMPLE_NUMBER}</div> : null}
      </div>
    </div>
  );
}
