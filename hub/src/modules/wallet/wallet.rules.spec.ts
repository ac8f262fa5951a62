import type { CardView } from '../cards/cards.service';
import {
  applePassJson,
  applePassToken,
  frontValues,
  googleClass,
  googleMessageType,
  googleObject,
  googleType,
  nextLastModified,
  notModifiedSince,
  PassContent,
  summaryLine,
} from './wallet.rules';
import { walletDesignSchema } from './wallet.schemas';

const view = (over: Partial<CardView> = {}): CardView => ({
  id: '0190c3c1-0000-7000-8000-00000000c001',
  number: '1010000000017',
  qr: 'LH1:1010000000017',
  status: 'active',
  programId: '0190c3c1-0000-7000-8000-00000000p001',
  programName: 'Coffee points',
  kind: 'bonus',
  guestId: null,
  levelCode: 'gold',
  levelName: 'Gold',
  pointsBalance: 120,
  pointsAvailable: 120,
  pointsPending: 0,
  pointsHeld: 0,
  giftBalanceMinor: 0,
  giftExpiresAt: null,
  stamps: 0,
  stampsGoal: null,
  spendMinor: 0,
  visits: 0,
  createdAt: new Date('2025-01-01T00:00:00Z'),
  lastOperationAt: null,
  ...over,
});

const content = (kind: PassContent['program']['kind'], rules: any, card: Partial<CardView> = {}, locale = 'en'): PassContent => ({
  business: { name: 'Coffee House', locale, currency: 'RUB' },
  program: { id: '0190c3c1-0000-7000-8000-00000000p001', name: 'Coffee points', kind, rules, levels: [{ code: 'gold', name: 'Gold', discountPercent: 10 }] },
  card: view({ kind, ...card }),
  guestName: 'Anna',
  design: walletDesignSchema.parse({}),
  locations: Array.from({ length: 12 }, (_, i) => ({ latitude: 55 + i / 100, longitude: 37, name: `Venue ${i}` })),
});

const ids = {
  passTypeId: 'pass.com.example',
  teamId: 'TEAM123456',
  serial: 'S1',
  authToken: 'x'.repeat(32),
  webServiceUrl: 'https://hub.example/v1/wallet/apple',
};

describe('wallet rules', () => {
  it('puts the balance first with a change message, then the level; at most 10 venues', () => {
    const p = applePassJson(content('bonus', { accrualPercent: 5 }), ids);
    const sc = p.storeCard as any;
    expect(sc.primaryFields).toEqual([{ key: 'balance', label: 'Points', value: 120, changeMessage: 'Points: %@' }]);
    expect(sc.secondaryFields[0]).toEqual({ key: 'level', label: 'Level', value: 'Gold', changeMessage: 'Level: %@' });
    expect(sc.secondaryFields[1]).toMatchObject({ key: 'number', value: '1010 0000 0001 7' });
    expect(sc.secondaryFields[1].changeMessage).toBeUndefined();
    expect((p.locations as unknown[]).length).toBe(10);
    expect(p.barcodes).toEqual([{ format: 'PKBarcodeFormatQR', message: 'LH1:1010000000017', messageEncoding: 'iso-8859-1', altText: '1010 0000 0001 7' }]);
    expect(p.voided).toBeUndefined();
    expect(applePassJson(content('bonus', {}, { status: 'blocked' }), ids).voided).toBe(true);
  });

  it('speaks the business language and formats money and discounts by kind', () => {
    const gift = frontValues(content('gift', { nominalsMinor: [300000] }, { giftBalanceMinor: 150050, giftExpiresAt: new Date('2026-01-01T00:00:00Z') }, 'ru'));
    expect(gift[0]).toMatchObject({ key: 'balance', label: 'Баланс', value: 1500.5, currencyCode: 'RUB', announce: true });
    expect(gift[1]).toMatchObject({ key: 'expiry', isDate: true, value: '2026-01-01T00:00:00.000Z' });
    expect(frontValues(content('discount', { discountPercent: 5 }))[0]).toMatchObject({ key: 'discount', text: '10%' }); // the level's percent wins
    expect(frontValues(content('coupon', { discount: { type: 'fixed', amountMinor: 50000 } }))[0].text).toMatch(/500/);
    expect(frontValues(content('stamp', { stampsRequired: 6 }, { stamps: 4, stampsGoal: 6 }))[0]).toMatchObject({ key: 'stamps', text: '4 / 6' });
    expect(applePassJson(content('coupon', { discount: { type: 'percent', percent: 15 } }), ids).coupon).toBeDefined();
    expect(summaryLine(content('bonus', {}))).toBe('Points: 120 · Level: Gold');
  });

  it('moves Last-Modified by at least a second per change, and answers 304 only for a copy as new', () => {
    const t0 = new Date('2025-06-01T10:00:00.300Z');
    const a = nextLastModified(null, t0);
    expect(a.toISOString()).toBe('2025-06-01T10:00:00.000Z');
    const b = nextLastModified(a, new Date('2025-06-01T10:00:00.900Z'));
    expect(b.toISOString()).toBe('2025-06-01T10:00:01.000Z');
    expect(nextLastModified(b, new Date('2025-06-01T10:00:05.000Z')).toISOString()).toBe('2025-06-01T10:00:05.000Z');
    expect(notModifiedSince(b, a.toUTCString())).toBe(false);
    expect(notModifiedSince(b, b.toUTCString())).toBe(true);
    expect(notModifiedSince(b, undefined)).toBe(false);
    expect(notModifiedSince(b, 'garbage')).toBe(false);
  });

  it('reads the ApplePass authorization scheme only', () => {
    expect(applePassToken('ApplePass abcdefabcdefabcdef')).toBe('abcdefabcdefabcdef');
    expect(applePassToken('Bearer abc')).toBeNull();
    expect(applePassToken(undefined)).toBeNull();
  });

  it('notifies on Google at most 3 times in 24 hours', () => {
    const now = new Date('2025-06-02T12:00:00Z');
    let log: string[] | null = null;
    const types: string[] = [];
    for (let i = 0; i < 4; i++) {
      const d = googleMessageType(log, now);
      types.push(d.messageType);
      log = d.log;
    }
    expect(types).toEqual(['TEXT_AND_NOTIFY', 'TEXT_AND_NOTIFY', 'TEXT_AND_NOTIFY', 'TEXT']);
    expect(googleMessageType(['2025-06-01T11:00:00Z', '2025-06-01T11:30:00Z', '2025-06-02T11:00:00Z'], now).messageType).toBe('TEXT_AND_NOTIFY');
  });

  it('maps kinds to Google types with the fields Google requires', () => {
    expect(['bonus', 'discount', 'gift', 'coupon', 'stamp'].map((k) => googleType(k as any))).toEqual(['loyalty', 'loyalty', 'giftCard', 'offer', 'generic']);
    const urls = { logoUrl: 'https://hub.example/logo.png' };
    const cls = googleClass(content('bonus', {}), '3388000000012345678', urls);
    expect(cls).toMatchObject({
      id: '3388000000012345678.lh_0190c3c1-0000-7000-8000-00000000p001',
      issuerName: 'Coffee House',
      programName: 'Coffee points',
      reviewStatus: 'UNDER_REVIEW',
      programLogo: { sourceUri: { uri: urls.logoUrl } },
    });
    const gift = googleObject(content('gift', {}, { giftBalanceMinor: 150050 }), '3388000000012345678', urls, new Date());
    expect(gift).toMatchObject({ cardNumber: '1010000000017', balance: { micros: '1500500000', currencyCode: 'RUB' }, state: 'ACTIVE' });
    const generic = googleObject(content('stamp', {}, { stamps: 2, stampsGoal: 6 }), '3388000000012345678', urls, new Date());
    expect(generic).toMatchObject({
      cardTitle: { defaultValue: { value: 'Coffee House' } },
      header: { defaultValue: { value: 'Coffee points' } },
      textModulesData: [{ id: 'stamps', body: '2 / 6' }, { id: 'number' }],
    });
    expect(googleObject(content('bonus', {}, { status: 'deleted' }), '1', urls, new Date()).state).toBe('INACTIVE');
  });
});
