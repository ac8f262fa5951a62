import fs from 'node:fs';
import path from 'node:path';
import type { Hub } from './hub';
import { Business } from './modules/tenants/tenants.entity';
import { randomPassword } from './shared/crypto';
import { Actor, Ctx, systemActor } from './shared/context';
import type { Program } from './modules/programs/programs.entity';
import { sqlTime } from './modules/analytics/analytics.service';

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

/** The language of the demo business (config `DEMO_LOCALE`). */
export type DemoLocale = 'ru' | 'en';

interface DemoTexts {
  business: string;
  owner: string;
  locations: { name: string; address: string; latitude: number; longitude: number; till: string }[];
  programs: { bonus: string; discount: string; gift: string; coupon: string; stamp: string; stampReward: string };
  levels: { base: string; silver: string; gold: string; friend: string; family: string };
  menu: { sku: string; name: string; category: string; price: number }[];
  guests: { name: string; gender: 'male' | 'female' }[];
  form: { slug: string; title: string; description: string; drink: string; drinks: string[] };
}

/** Everything a person reads in the demo, in the business's own language. */
const DEMO: Record<DemoLocale, DemoTexts> = {
  ru: {
    business: 'Кофейня «Зерно»',
    owner: 'Анна Смирнова',
    locations: [
      { name: 'Зерно на Тверской', address: 'Москва, Тверская ул., 12', latitude: 55.7636, longitude: 37.6065, till: 'Касса на Тверской' },
      { name: 'Зерно на Покровке', address: 'Москва, ул. Покровка, 17', latitude: 55.7594, longitude: 37.6447, till: 'Касса на Покровке' },
    ],
    programs: { bonus: 'Бонусы «Зерна»', discount: 'Скидка для друзей', gift: 'Подарочный сертификат', coupon: 'Капучино в подарок', stamp: 'Каждый шестой кофе в подарок', stampReward: 'Капучино в подарок' },
    levels: { base: 'Базовый', silver: 'Серебряный', gold: 'Золотой', friend: 'Друг', family: 'Семья' },
    menu: [
      { sku: 'CAPPUCCINO', name: 'Капучино', category: 'coffee', price: 22_000 },
      { sku: 'LATTE', name: 'Латте', category: 'coffee', price: 25_000 },
      { sku: 'FLATWHITE', name: 'Флэт уайт', category: 'coffee', price: 26_000 },
      { sku: 'RAF', name: 'Раф ванильный', category: 'coffee', price: 28_000 },
      { sku: 'AMERICANO', name: 'Американо', category: 'coffee', price: 18_000 },
      { sku: 'CROISSANT', name: 'Круассан', category: 'bakery', price: 18_000 },
      { sku: 'SYRNIKI', name: 'Сырники со сметаной', category: 'kitchen', price: 35_000 },
      { sku: 'CHEESECAKE', name: 'Чизкейк', category: 'desserts', price: 32_000 },
    ],
    guests: [
      ['Анна Иванова', 'female'], ['Иван Петров', 'male'], ['Мария Соколова', 'female'], ['Дмитрий Кузнецов', 'male'], ['Ольга Попова', 'female'],
      ['Сергей Лебедев', 'male'], ['Елена Козлова', 'female'], ['Павел Новиков', 'male'], ['Наталья Морозова', 'female'], ['Алексей Волков', 'male'],
      ['Ирина Павлова', 'female'], ['Михаил Семёнов', 'male'], ['Екатерина Голубева', 'female'], ['Андрей Виноградов', 'male'], ['Татьяна Богданова', 'female'],
      ['Николай Воробьёв', 'male'], ['Светлана Фёдорова', 'female'], ['Артём Михайлов', 'male'], ['Юлия Беляева', 'female'], ['Максим Тарасов', 'male'],
      ['Ксения Белова', 'female'], ['Владимир Комаров', 'male'], ['Дарья Орлова', 'female'], ['Роман Киселёв', 'male'], ['Алина Макарова', 'female'],
      ['Егор Андреев', 'male'], ['Виктория Ковалёва', 'female'], ['Кирилл Ильин', 'male'], ['Полина Гусева', 'female'], ['Григорий Титов', 'male'],
      ['Софья Кузьмина', 'female'], ['Денис Кудрявцев', 'male'], ['Вера Баранова', 'female'], ['Антон Куликов', 'male'], ['Марина Алексеева', 'female'],
      ['Олег Степанов', 'male'], ['Людмила Яковлева', 'female'], ['Тимур Сорокин', 'male'], ['Валерия Сергеева', 'female'], ['Фёдор Романов', 'male'],
    ].map(([name, gender]) => ({ name: name!, gender: gender as 'male' | 'female' })),
    form: {
      slug: 'zerno',
      title: 'Карта гостя «Зерна»',
      description: '5 % с каждой покупки возвращаются баллами, а на день рождения — подарок.',
      drink: 'Любимый напиток',
      drinks: ['Капучино', 'Латте', 'Флэт уайт', 'Раф', 'Американо'],
    },
  },
  en: {
    business: 'Grain Coffee House',
    owner: 'Anna Smith',
    locations: [
      { name: 'Grain on Tverskaya', address: '12 Tverskaya St, Moscow', latitude: 55.7636, longitude: 37.6065, till: 'Tverskaya till' },
      { name: 'Grain on Pokrovka', address: '17 Pokrovka St, Moscow', latitude: 55.7594, longitude: 37.6447, till: 'Pokrovka till' },
    ],
    programs: { bonus: 'Grain points', discount: 'Friends discount', gift: 'Gift certificate', coupon: 'Free cappuccino', stamp: 'Every sixth coffee free', stampReward: 'Free cappuccino' },
    levels: { base: 'Base', silver: 'Silver', gold: 'Gold', friend: 'Friend', family: 'Family' },
    menu: [
      { sku: 'CAPPUCCINO', name: 'Cappuccino', category: 'coffee', price: 22_000 },
      { sku: 'LATTE', name: 'Latte', category: 'coffee', price: 25_000 },
      { sku: 'FLATWHITE', name: 'Flat white', category: 'coffee', price: 26_000 },
      { sku: 'RAF', name: 'Vanilla raf', category: 'coffee', price: 28_000 },
      { sku: 'AMERICANO', name: 'Americano', category: 'coffee', price: 18_000 },
      { sku: 'CROISSANT', name: 'Croissant', category: 'bakery', price: 18_000 },
      { sku: 'PANCAKES', name: 'Cottage cheese pancakes', category: 'kitchen', price: 35_000 },
      { sku: 'CHEESECAKE', name: 'Cheesecake', category: 'desserts', price: 32_000 },
    ],
    guests: [
      ['Anna Ivanova', 'female'], ['John Peterson', 'male'], ['Maria Sokolova', 'female'], ['David Smith', 'male'], ['Olivia Brown', 'female'],
      ['Sergey Lebedev', 'male'], ['Emily Clark', 'female'], ['Paul Newman', 'male'], ['Natalie Moore', 'female'], ['Alex Wolf', 'male'],
      ['Irene Paul', 'female'], ['Michael Simons', 'male'], ['Kate Green', 'female'], ['Andrew White', 'male'], ['Tanya Bogdan', 'female'],
      ['Nick Sparrow', 'male'], ['Sophie Turner', 'female'], ['Arthur Mills', 'male'], ['Julia Bell', 'female'], ['Max Taylor', 'male'],
      ['Grace Hill', 'female'], ['Vladimir Komarov', 'male'], ['Daria Orlova', 'female'], ['Roman King', 'male'], ['Alina Mack', 'female'],
      ['George Andrews', 'male'], ['Victoria Cole', 'female'], ['Kirill Ilyin', 'male'], ['Pauline Goose', 'female'], ['Gregory Titus', 'male'],
      ['Sophia Kuzmina', 'female'], ['Dennis Curly', 'male'], ['Vera Baron', 'female'], ['Anthony Cook', 'male'], ['Marina Alexander', 'female'],
      ['Oliver Stephens', 'male'], ['Lucy Jacobs', 'female'], ['Timothy Sorokin', 'male'], ['Valerie Sergeeva', 'female'], ['Fred Roman', 'male'],
    ].map(([name, gender]) => ({ name: name!, gender: gender as 'male' | 'female' })),
    form: {
      slug: 'grain',
      title: 'Grain guest card',
      description: '5 % of every purchase comes back as points, and a treat on your birthday.',
      drink: 'Favourite drink',
      drinks: ['Cappuccino', 'Latte', 'Flat white', 'Raf', 'Americano'],
    },
  },
};

const DAY_MS = 86_400_000;
/** Sales per day relative to the average: Monday is quiet, the weekend is busy (index = getUTCDay()). */
const WEEKDAY = [1.4, 0.6, 0.75, 0.85, 1.0, 1.35, 1.6];
const WEEKS = 8;

/** A deterministic pseudo-random sequence (the same demo every time). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

/**
 * On an empty database: a demo café in `locale` with an owner, two locations with a till each,
 * the five kinds of card, forty guests with eight weeks of sales and a published registration form.
 * Returns undefined when the database already has a business (a second start reuses the data).
 */
export async function seedDemo(hub: Hub, publicUrl: string, locale: DemoLocale = 'ru'): Promise<DemoInfo | undefined> {
  const count = await hub.db.manager.getRepository(Business).count();
  if (count > 0) return undefined;
  const texts = DEMO[locale];
  const ownerPassword = randomPassword();
  const ownerEmail = 'owner@demo.local';
  const { business } = await hub.services.tenants.createBusiness(
    // The README's quick start signs in with one password: the demo does not require a second factor.
    { name: texts.business, currency: 'RUB', timezone: 'Europe/Moscow', locale, owner: { email: ownerEmail, name: texts.owner, password: ownerPassword }, requireMfaForAdmins: false },
    systemActor('seed'),
  );
  const ctx = { businessId: business.id, actor: systemActor('seed') };
  await hub.services.tenants.updateBusiness(ctx, { settings: { privacyPolicyUrl: 'https://example.com/privacy' } });
  const tills: Actor[] = [];
  let first: { locationId: string; terminalId: string; key: string } | undefined;
  for (const l of texts.locations) {
    const location = await hub.services.tenants.createLocation(ctx, { name: l.name, address: l.address, latitude: l.latitude, longitude: l.longitude });
    const { terminal, key } = await hub.services.tenants.createTerminal(ctx, { name: l.till, locationId: location.id, scopes: ['pos', 'pos:refund', 'scanner'] });
    first ??= { locationId: location.id, terminalId: terminal.id, key };
    tills.push({ type: 'terminal', id: terminal.id, label: terminal.name, locationId: location.id, scopes: terminal.scopes });
  }
  const programs = await seedPrograms(hub, ctx, texts);
  await hub.services.engagement.createForm(ctx, {
    programId: programs.bonus.id,
    slug: texts.form.slug,
    title: texts.form.title,
    description: texts.form.description,
    fields: { name: 'required', birthday: 'optional', email: 'hidden', gender: 'hidden' },
    variables: [{ key: 'favourite_drink', label: texts.form.drink, type: 'select', required: false, options: texts.form.drinks }],
    smsVerification: true,
    active: true,
  });
  await seedGuestsAndSales(hub, ctx, programs, tills, texts);
  const info: DemoInfo = {
    businessId: business.id,
    locationId: first!.locationId,
    terminalId: first!.terminalId,
    terminalKey: first!.key,
    ownerEmail,
    ownerPassword,
    adminUrl: `${publicUrl}/admin`,
    apiDocsUrl: `${publicUrl}/v1/docs`,
    curl: `curl -s -H 'Authorization: Bearer ${first!.key}' '${publicUrl}/v1/pos/cards/lookup?phone=%2B79990000001'`,
    programs: Object.fromEntries(Object.entries(programs).map(([k, v]) => [k, v.id])),
    sampleGuestPhone: '+79990000001',
    registrationUrl: `${publicUrl}/join/${texts.form.slug}`,
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
async function seedPrograms(hub: Hub, ctx: Ctx, texts: DemoTexts): Promise<Record<'bonus' | 'discount' | 'gift' | 'coupon' | 'stamp', Program>> {
  const p = hub.services.programs;
  const bonus = await p.create(ctx, {
    name: texts.programs.bonus,
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
      { code: 'base', name: texts.levels.base, threshold: 0 },
      { code: 'silver', name: texts.levels.silver, threshold: 1_000_000, accrualPercent: 7 },
      { code: 'gold', name: texts.levels.gold, threshold: 3_000_000, accrualPercent: 10 },
    ],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 100,
    referral: { referrerPoints: 200, refereePoints: 100 },
    active: true,
  });
  const discount = await p.create(ctx, {
    name: texts.programs.discount,
    rules: { kind: 'discount', discountPercent: 5, minCheckMinor: 0, excluded: { skus: [], categories: ['tobacco'] } },
    levels: [
      { code: 'friend', name: texts.levels.friend, threshold: 0, discountPercent: 5 },
      { code: 'family', name: texts.levels.family, threshold: 2_000_000, discountPercent: 10 },
    ],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  const gift = await p.create(ctx, {
    name: texts.programs.gift,
    rules: { kind: 'gift', nominalsMinor: [100_000, 300_000, 500_000], partialSpend: true, expiryDays: 365 },
    levels: [],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  const coupon = await p.create(ctx, {
    name: texts.programs.coupon,
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
    name: texts.programs.stamp,
    rules: { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'coupon', couponProgramId: coupon.id, title: texts.programs.stampReward }, minCheckMinor: 15_000, maxStampsPerPurchase: null },
    levels: [],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 0,
    active: true,
  });
  await p.generateCoupons(ctx, coupon.id, { count: 20, prefix: 'CAP-' });
  return { bonus, discount, gift, coupon, stamp };
}

/** A past instant: `days` ago at `hour:minute` Moscow time (UTC+3). */
function moscow(now: number, days: number, hour: number, minute: number): number {
  const d = new Date(now + 3 * 3_600_000 - days * DAY_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour - 3, minute);
}

/**
 * Forty guests who joined over the last eight weeks, and their sales: a few a day with a weekly
 * rhythm (quiet Mondays, busy weekends), mostly in the morning and at lunch, at both tills. Regulars
 * come often and climb levels; some pay with points. Cards of every kind: bonus for most guests, a
 * discount card for some, stamp cards beside the bonus card, coupons and gift certificates. The
 * hub books everything "now"; the seed then dates each row where it belongs and rebuilds the
 * analytics rollups from the rows.
 */
async function seedGuestsAndSales(hub: Hub, ctx: Ctx, programs: Record<'bonus' | 'discount' | 'gift' | 'coupon' | 'stamp', Program>, tills: Actor[], texts: DemoTexts): Promise<void> {
  const random = rng(2026);
  const now = Date.now();
  const q = (sql: string, params: unknown[]) => hub.db.manager.query(sql, params);
  const at = (t: number) => sqlTime(t);
  interface DemoGuest {
    id: string;
    joined: number;
    cards: { number: string; id: string; kind: string }[];
    sales: number[];
    weight: number;
  }
  const guests: DemoGuest[] = [];
  texts.guests.forEach((_, k) => {
    const i = k + 1;
    // A third were guests before the demo period, the rest joined week by week.
    const joinedDaysAgo = i <= 14 ? WEEKS * 7 + 10 + i : Math.max(1, Math.round(WEEKS * 7 * (1 - (i - 14) / (texts.guests.length - 13))));
    guests.push({ id: '', joined: moscow(now, joinedDaysAgo, 9 + (i % 11), (i * 7) % 60), cards: [], sales: [], weight: i <= 8 ? 6 : i <= 20 ? 3 : 1 });
  });
  for (const [k, g] of texts.guests.entries()) {
    const i = k + 1;
    const dg = guests[k]!;
    const month = String(1 + ((i * 5) % 12)).padStart(2, '0');
    const day = String(1 + ((i * 11) % 28)).padStart(2, '0');
    const { guest, card } = await hub.services.guests.register(ctx, {
      phone: `+7999${String(i).padStart(7, '0')}`,
      name: g.name,
      gender: g.gender,
      birthday: i % 3 === 0 ? null : `${1975 + ((i * 7) % 30)}-${month}-${day}`,
      marketingConsent: i % 4 !== 0,
      source: i % 3 === 0 ? 'form' : 'pos',
      utm: i % 3 === 0 ? { source: 'table_tent', medium: 'qr' } : undefined,
      programId: i % 7 === 0 ? programs.discount.id : programs.bonus.id,
    });
    dg.id = guest.id;
    dg.cards.push({ number: card!.number, id: card!.id, kind: i % 7 === 0 ? 'discount' : 'bonus' });
    // Guest 1 (the README's curl looks up +79990000001) keeps one card: the bonus card.
    if (i % 4 === 2) {
      const stamp = await hub.services.cards.issue(ctx, programs.stamp.id, guest.id);
      dg.cards.push({ number: stamp.number, id: stamp.id, kind: 'stamp' });
    }
    if (i % 9 === 2) await hub.services.cards.issue(ctx, programs.coupon.id, guest.id);
    if (i % 10 === 5) await hub.services.cards.issue(ctx, programs.gift.id, guest.id, { giftNominalMinor: 300_000 });
  }
  // Certificates sold over the counter, not yet given to anybody.
  for (const nominal of [100_000, 500_000]) await hub.services.cards.issue(ctx, programs.gift.id, null, { giftNominalMinor: nominal });

  // The sales, oldest first: about four a day on average.
  type Sale = { t: number; guest: DemoGuest };
  const schedule: Sale[] = [];
  for (let d = WEEKS * 7 - 1; d >= 0; d--) {
    const weekday = new Date(moscow(now, d, 12, 0)).getUTCDay();
    const n = Math.round(4 * WEEKDAY[weekday]! * (0.8 + random() * 0.4));
    const times: number[] = [];
    for (let s = 0; s < n; s++) {
      // Morning coffee, lunch, the afternoon.
      const r = random();
      const hour = r < 0.45 ? 8 + Math.floor(random() * 3) : r < 0.8 ? 12 + Math.floor(random() * 3) : 15 + Math.floor(random() * 6);
      const t = moscow(now, d, hour, Math.floor(random() * 60));
      if (t < now - 60_000) times.push(t);
    }
    for (const t of times.sort((a, b) => a - b)) {
      const present = guests.filter((g) => g.joined < t);
      const total = present.reduce((sum, g) => sum + g.weight, 0);
      let pick = random() * total;
      const guest = present.find((g) => (pick -= g.weight) < 0) ?? present[present.length - 1]!;
      schedule.push({ t, guest });
    }
  }
  for (const [n, sale] of schedule.entries()) {
    const g = sale.guest;
    const visit = g.sales.length;
    const card = g.cards.length > 1 && visit % 2 === 1 ? g.cards[1]! : g.cards[0]!;
    const picks = texts.menu.filter((_, k) => (n + visit + k) % 3 === 0).slice(0, 1 + (n % 3));
    const items = (picks.length ? picks : [texts.menu[0]!]).map((m) => ({ sku: m.sku, name: m.name, category: m.category, qty: 1, unitPriceMinor: m.price, amountMinor: m.price }));
    const till = tills[n % 3 === 0 && tills.length > 1 ? 1 : 0]!;
    const { checkout } = await hub.services.checkout.commit({ businessId: ctx.businessId, actor: till }, `seed-${n}`, {
      card: { number: card.number },
      basket: { items },
      redeemPoints: card.kind === 'bonus' && visit % 4 === 3 ? 'max' : undefined,
      mode: 'commit',
    });
    g.sales.push(sale.t);
    await q(`UPDATE checkouts SET createdAt = ?, updatedAt = ?, capturedAt = ? WHERE id = ?`, [at(sale.t), at(sale.t), at(sale.t), checkout.id]);
    await q(`UPDATE point_lots SET availableAt = ?, createdAt = ? WHERE entryId IN (SELECT id FROM ledger_entries WHERE checkoutId = ?)`, [at(sale.t), at(sale.t), checkout.id]);
    await q(`UPDATE ledger_entries SET createdAt = ?, updatedAt = ? WHERE checkoutId = ?`, [at(sale.t), at(sale.t), checkout.id]);
  }
  for (const g of guests) {
    const last = g.sales.length ? Math.max(...g.sales) : null;
    await q(`UPDATE guests SET createdAt = ?, consentAt = ?, firstPurchaseAt = ?, lastPurchaseAt = ? WHERE id = ?`, [
      at(g.joined),
      at(g.joined),
      g.sales.length ? at(Math.min(...g.sales)) : null,
      last === null ? null : at(last),
      g.id,
    ]);
    for (const c of g.cards) {
      await q(`UPDATE point_lots SET availableAt = ?, createdAt = ? WHERE entryId IN (SELECT id FROM ledger_entries WHERE cardId = ? AND checkoutId IS NULL)`, [at(g.joined), at(g.joined), c.id]);
      await q(`UPDATE ledger_entries SET createdAt = ?, updatedAt = ? WHERE cardId = ? AND checkoutId IS NULL`, [at(g.joined), at(g.joined), c.id]);
    }
    await q(`UPDATE cards SET createdAt = ?, lastOperationAt = ? WHERE guestId = ?`, [at(g.joined), last === null ? null : at(last), g.id]);
  }
  await hub.services.analytics.rebuild(ctx);
}
