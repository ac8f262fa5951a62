import { webcrypto } from 'node:crypto';
import { lookupKey, newRequestId } from './lookup';

describe('web scanner input', () => {
  it('tells a QR payload, a card number and a phone apart', () => {
    expect(lookupKey('LH1:2700000000011')).toEqual({ qr: 'LH1:2700000000011' });
    expect(lookupKey(' 2700 0000 0001 1 ')).toEqual({ number: '2700000000011' });
    expect(lookupKey('+7 (999) 123-45-67')).toEqual({ phone: '+79991234567' });
    expect(lookupKey('89991234567')).toEqual({ phone: '89991234567' });
    expect(lookupKey('https://example.com/x')).toEqual({ qr: 'https://example.com/x' });
    expect(lookupKey('   ')).toBeNull();
    expect(lookupKey('123')).toBeNull();
  });

  it('makes a v4 UUID per confirm tap, even without randomUUID', () => {
    const id = newRequestId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const saved = globalThis.crypto;
    Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) }, configurable: true });
    try {
      const a = newRequestId();
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(newRequestId()).not.toBe(a);
    } finally {
      Object.defineProperty(globalThis, 'crypto', { value: saved, configurable: true });
    }
  });
});
