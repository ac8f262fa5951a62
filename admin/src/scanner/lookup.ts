/** What the cashier typed or the camera read, as the hub's lookup key. */
export type LookupKey = { qr: string } | { number: string } | { phone: string };

/**
 * A scanned QR payload (`LH1:…` or anything not plain digits) goes as `qr`; `+7…` or a 10–11 digit
 * number as a phone; other digits (card numbers are 12+ digits) as a card number.
 */
export function lookupKey(input: string): LookupKey | null {
  const s = input.trim();
  if (!s) return null;
  if (/^LH1:/i.test(s)) return { qr: s };
  const digits = s.replace(/[\s()-]/g, '');
  if (/^\+\d{6,15}$/.test(digits)) return { phone: digits };
  if (/^\d+$/.test(digits)) {
    if (digits.length === 10 || digits.length === 11) return { phone: digits };
    if (digits.length >= 6 && digits.length <= 24) return { number: digits };
    return null;
  }
  return { qr: s };
}

/** A request id for one confirm tap: a UUID v4 (crypto.randomUUID needs https; getRandomValues does not). */
export function newRequestId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      // not a secure context
    }
  }
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
