import fs from 'node:fs';
import path from 'node:path';
import type { Hub } from './hub';
import { Business } from './modules/tenants/tenants.entity';
import { randomPassword } from './shared/crypto';
import { Actor, Ctx, systemActor } from './shared/context';
import type { Program } from './modules/programs/programs.entity';

export interface DemoInfo {
  businessId: string;
  locationId: string;
  terminalId: string;
  terminalKey: string;
  ownerEmail: string;
  ownerPassword: string;
  adminUrl: string;
  apiDocsUrl: string;
  curl: string;
  [k: string]: unknown;
}

/**
 * On an empty database: a demo café with an owner, a location and a terminal key.
 * Returns undefined when the database already has a business (a second start reuses the data).
 */
export async function seedDemo(hub: Hub, publicUrl: string): Promise<DemoInfo | undefined> {
  const count = await hub.db.manager.getRepository(Business).count();
  if (count > 0) return undefined;
  const ownerPassword = randomPassword();
  const ownerEmail = 'owner@demo.local';
  const { business } = await hub.services.tenants.createBusiness(
    // The README's quick start signs in with one password: the demo does not require a second factor.
    { name: 'Demo Café', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'ru', owner: { email: ownerEmail, name: 'Demo Owner', password: ownerPassword }, requireMfaForAdmins: false },
    systemActor('seed'),
  );
  const ctx = { businessId: business.id, actor: systemActor('seed') };
  const location = await hub.services.tenants.createLocation(ctx, {
    name: 'Demo Café on Tverskaya',
    address: 'Tverskaya St 1, Moscow',
    latitude: 55.757,
    longitude: 37.6137,
  });
  const { terminal, key } = await hub.services.tenants.createTerminal(ctx, {
    name: 'Till 1',
    locationId: location.id,
    scopes: ['pos', 'pos:refund', 'scanner'],
  });
  const programs = await seedPrograms(hub, ctx);
  await seedGuestsAndSales(hub, ctx, programs.bonus.id, { type: 'terminal', id: terminal.id, label: terminal.name, locationId: location.id, scopes: terminal.scopes });
  const info: DemoInfo = {
    businessId: business.id,
    locationId: location.id,
    terminalId: terminal.id,
    terminalKey: key,
    ownerEmail,
    ownerPassword,
    adminUrl: `${publicUrl}/admin`,
    apiDocsUrl: `${publicUrl}/v1/docs`,
    curl: `curl -s -H 'Authorization: Bearer ${key}' '${publicUrl}/v1/pos/cards/lookup?phone=%2B79990000001'`,
    programs: Object.fromEntries(Object.entries(programs).map(([k, v]) => [k, v.id])),
    sampleGuestPhone: '+79990000001',
  };
  return info;
}

export function writeDemoFile(dataDir: string, info: DemoInfo): string {
  const file = path.join(dataDir, 'demo.json');
  fs.writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600); // `mode` applies only when the file is created
  return file;
}

/** The five kinds of card, configured the way a café would start. */
async function seedPrograms(hub: Hub, ctx: Ctx): Promise<Record<'bonus' | 'discount' | 'gift' | 'coupon' | 'stamp', Program>> {
  const p = hub.services.programs;
  const bonus = await p.create(ctx, {
    name: 'Coffee points',
    rules: {
      kind: 'bonus',
      accrualPercent: 5,
      pointValueMinor: 100,
      maxRedeemPercent: 30,
      minCheckMinor: 0,
      excluded: { skus: [], categories: ['tobacco'], noEarn: true, noRedeem: true },
      pointsPartEarns: false,
      rounding: 'floor',
      pendingDays: 0,
      expiryDays: 365,
    },
    levels: [
      { code: 'base', name: 'Base', threshold: 0 },
      { code: 'silver', name: 'Silver', threshold: 1_000_000, accrualPercent: 7 },
      { code: 'gold', name: 'Gold', threshold: 3_000_000, accrualPercent: 10 },
    ],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 100,
    referral: { referrerPoints: 200, refereePoints: 100 },
    active: true,
  });
  const discount = await p.create(ctx, {
    name: 'Friends discount',
    rules: { kind: 'discount', discountPercent: 5, minCheckMinor: 0, excluded: { skus: [], categories: ['tobacco'] } },
    levels: [
      { code: 'friend', name: 'Friend', threshold: 0, discountPercent: 5 },
      { code: 'family', name: 'Family', threshold: 2_000_000, discountPercent: 10 },
    ],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  const gift = await p.create(ctx, {
    name: 'Gift certificate',
    rules: { kind: 'gift', nominalsMinor: [100_000, 300_000, 500_000], partialSpend: true, expiryDays: 365 },
    levels: [],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  const coupon = await p.create(ctx, {
    name: 'Free cappuccino',
    rules: {
      kind: 'coupon',
      discount: { type: 'free_item', skus: ['CAPPUCCINO'], qty: 1 },
      usage: 'single',
      maxUses: null,
      perGuestLimit: null,
      minCheckMinor: 0,
      validFrom: null,
      validTo: null,
      excluded: { skus: [], categories: [] },
      codeFormat: { prefix: 'CAP-', length: 8 },
    },
    levels: [],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  const stamp = await p.create(ctx, {
    name: 'Sixth coffee free',
    rules: { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'coupon', couponProgramId: coupon.id, title: 'Free cappuccino' }, minCheckMinor: 15_000, maxStampsPerPurchase: null },
    levels: [],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  await p.generateCoupons(ctx, coupon.id, { count: 20, prefix: 'CAP-' });
  return { bonus, discount, gift, coupon, stamp };
}

const NAMES = ['Anna', 'Ivan', 'Maria', 'Dmitry', 'Olga', 'Sergey', 'Elena', 'Pavel', 'Natalia', 'Alexey', 'Irina', 'Mikhail'];
const MENU = [
  { sku: 'CAPPUCCINO', name: 'Cappuccino', category: 'coffee', price: 22_000 },
  { sku: 'LATTE', name: 'Latte', category: 'coffee', price: 25_000 },
  { sku: 'CROISSANT', name: 'Croissant', category: 'bakery', price: 18_000 },
  { sku: 'CHEESECAKE', name: 'Cheesecake', category: 'desserts', price: 32_000 },
];

/** A few dozen guests with bonus cards and a history of sales, so the console has something to show. */
async function seedGuestsAndSales(hub: Hub, ctx: Ctx, programId: string, till: Actor): Promise<void> {
  const pos: Ctx = { businessId: ctx.businessId, actor: till };
  for (let i = 1; i <= 24; i++) {
    const phone = `+7999${String(i).padStart(7, '0')}`;
    const { card } = await hub.services.guests.register(ctx, {
      phone,
      name: `${NAMES[i % NAMES.length]} ${String.fromCharCode(65 + (i % 26))}.`,
      marketingConsent: i % 3 !== 0,
      source: i % 4 === 0 ? 'form' : 'pos',
      programId,
    });
    const visits = i % 5;
    for (let v = 0; v < visits; v++) {
      const items = MENU.filter((_, k) => (i + v + k) % 2 === 0).map((m) => ({ sku: m.sku, name: m.name, category: m.category, qty: 1, unitPriceMinor: m.price, amountMinor: m.price }));
      await hub.services.checkout.commit(pos, `seed-${i}-${v}`, {
        card: { number: card!.number },
        basket: { items: items.length ? items : [{ sku: 'LATTE', qty: 1, unitPriceMinor: 25_000, amountMinor: 25_000 }] },
        redeemPoints: v === 3 ? 'max' : undefined,
        mode: 'commit',
      });
    }
  }
}
