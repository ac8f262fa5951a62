/**
 * `npm run bench -- analytics [--guests=1m] [--checkouts=5m] [--rounds=6] [--fresh]`
 *
 * On MariaDB (BENCH_DATABASE_URL, default the CI's `loyalty` user): a business with `guests`
 * guests (one card each) and `checkouts` sales over two years at three locations, kept in the
 * dataset database `loyalty_test_bench_analytics_<guests>_<checkouts>` between runs (generation is
 * paid once; `--fresh` drops it). Guests come from the bulk generator (multi-row INSERTs); the sales
 * are written server-side by INSERT … SELECT over the cards and MariaDB's sequence engine, 100k rows
 * a statement; the rollups are then built by the analytics module's rebuild from those raw rows.
 *
 * Measures, in interleaved rounds of the same run:
 * - `analytics.dashboard`: p95 of `GET /v1/admin/analytics/dashboard` (30 days, daily series,
 *   lifetime LTV and liability) ÷ p95 of `GET /v1/admin/guests/:id` (a single-row lookup), both over
 *   HTTP with the owner's session. Target ≤ 10.
 * - `analytics.rfm`: RFM recompute (`recomputeRfm`: one grouped scan of the guests and the snapshot
 *   write) ÷ a bare `SELECT COUNT(*), SUM(…), MAX(…)` scan of the same guests. Target ≤ 3.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { generateGuests } from '../fixtures/src/demo-data/generate';
import { loadConfig } from '../hub/src/config';
import { Hub } from '../hub/src/hub';
import { createProgramBody } from '../hub/src/modules/programs/programs.schemas';
import { systemActor } from '../hub/src/shared/context';
import { log, median, numFlag, parseArgs, percentile, Results, round } from './lib';

const SECRET = 'bench-analytics-secret-'.padEnd(48, 'x');
const PASSWORD = 'bench-password-1';
const DEFAULT_URL = 'mysql://loyalty:loyalty@127.0.0.1:3306/loyalty_test';

interface Meta {
  businessId: string;
  ownerEmail: string;
  guestId: string;
  guests: number;
  checkouts: number;
}

const label = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

async function admin(url: URL) {
  return mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
}

/** Creates (or finds) the dataset database and returns its metadata, generating what is missing. */
async function dataset(base: URL, guests: number, checkouts: number, fresh: boolean): Promise<{ url: string; meta: Meta | null }> {
  const name = `loyalty_test_bench_analytics_${label(guests)}_${label(checkouts)}`;
  const c = await admin(base);
  if (fresh) await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.query(`CREATE TABLE IF NOT EXISTS \`${name}\`.bench_meta (k varchar(32) PRIMARY KEY, v text NOT NULL)`);
  const [rows] = (await c.query(`SELECT v FROM \`${name}\`.bench_meta WHERE k = 'dataset'`)) as unknown as [{ v: string }[]];
  await c.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), meta: rows[0] ? (JSON.parse(rows[0].v) as Meta) : null };
}

async function generate(hub: Hub, o: { guests: number; checkouts: number }): Promise<Meta> {
  const { tenants, programs } = hub.services;
  const ownerEmail = `bench-${randomBytes(3).toString('hex')}@example.com`;
  const { business } = await tenants.createBusiness({
    name: 'Bench Analytics',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    requireMfaForAdmins: false,
    owner: { email: ownerEmail, name: 'Owner', password: PASSWORD },
  });
  const ctx = { businessId: business.id, actor: systemActor('bench') };
  const locations = [];
  for (const n of ['Hall', 'Terrace', 'Airport']) locations.push((await tenants.createLocation(ctx, { name: n })).id);
  const program = await programs.create(
    ctx,
    createProgramBody.parse({ name: 'Bonus 5%', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 30, pointValueMinor: 100 } }),
  );
  let t0 = Date.now();
  await generateGuests(hub.db, {
    businessId: business.id,
    programId: program.id,
    cardPrefix: program.cardPrefix,
    count: o.guests,
    startingPoints: 0,
    batchSize: 2000,
    onProgress: (d, n) => d % 100_000 === 0 && log(`guests ${d}/${n}`),
  });
  log(`${o.guests} guests with cards in ${round((Date.now() - t0) / 1000, 1)} s`);

  // Sales: `per` sales per card, written by the server from the cards (ids ordered like the hub's UUIDv7, times increasing).
  t0 = Date.now();
  const per = Math.max(1, Math.round(o.checkouts / o.guests));
  const span = 730 * 86_400; // seconds
  const chunk = Math.max(1, Math.floor(100_000 / per));
  const start = Math.floor(Date.now() / 1000) - span - 86_400;
  let cursor = '';
  let written = 0;
  let cardIndex = 0;
  for (;;) {
    const ids = (await hub.db.manager.query(`SELECT id FROM cards WHERE businessId = ? AND id > ? ORDER BY id LIMIT ${chunk}`, [business.id, cursor])) as {
      id: string;
    }[];
    if (!ids.length) break;
    const lo = cursor;
    const hi = ids[ids.length - 1]!.id;
    // Row n of the whole set (card index × per + seq) sets its time: two years, in order.
    await hub.db.manager.query(
      `INSERT INTO checkouts (id, businessId, idempotencyKey, requestHash, status, cardId, guestId, programId, locationId, actorType, actorId,
         totalMinor, discountMinor, pointsRedeemed, pointsAccrued, basket, decision, capturedAt, createdAt, updatedAt)
       SELECT CONCAT(LEFT(c.id, 34), '-', s.seq), c.businessId, CONCAT(LEFT(c.id, 34), '-', s.seq), 'bench', 'committed', c.id, c.guestId, c.programId,
         ELT(1 + (CRC32(c.id) + s.seq) % 3, ?, ?, ?), 'terminal', 'bench',
         @t := 20000 + ((CRC32(c.id) * 7 + s.seq * 131) % 400) * 100, 0, 0, FLOOR(@t * 0.05 / 100), '{}', '{}',
         @at := FROM_UNIXTIME(? + FLOOR(((? + r.n) * ${per} + s.seq) * ? / ?)), @at, @at
       FROM cards c
       JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 n FROM cards WHERE businessId = ? AND id > ? AND id <= ?) r ON r.id = c.id
       JOIN seq_0_to_${per - 1} s
       WHERE c.businessId = ? AND c.id > ? AND c.id <= ?
       ORDER BY c.id, s.seq`,
      [...locations, start, cardIndex, span, o.guests * per, business.id, lo, hi, business.id, lo, hi],
    );
    cardIndex += ids.length;
    written += ids.length * per;
    cursor = hi;
    if (written % 500_000 < ids.length * per) log(`checkouts ${written}/${o.guests * per} (${round((Date.now() - t0) / 1000)} s)`);
  }
  log(`${written} checkouts in ${round((Date.now() - t0) / 1000, 1)} s`);
  t0 = Date.now();
  const r = await hub.services.analytics.rebuild(ctx);
  log(`rollups rebuilt from ${r.sales} sales into ${r.rows} rows in ${round((Date.now() - t0) / 1000, 1)} s`);
  const g = (await hub.db.manager.query(`SELECT id FROM guests WHERE businessId = ? ORDER BY id LIMIT 1 OFFSET ${Math.floor(o.guests / 2)}`, [
    business.id,
  ])) as { id: string }[];
  return { businessId: business.id, ownerEmail, guestId: g[0]!.id, guests: o.guests, checkouts: written };
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const guests = numFlag(flags, 'guests', 1_000_000);
  const checkouts = numFlag(flags, 'checkouts', 5_000_000);
  const rounds = numFlag(flags, 'rounds', 6);
  const base = new URL(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_URL);
  const ds = await dataset(base, guests, checkouts, flags.fresh === true);
  const quiet = pino({ level: 'silent' });
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    HUB_SECRET: SECRET,
    JOBS_ENABLED: 'false',
    DATABASE_URL: ds.url,
    CONNECTORS: '',
  });
  const hub = await Hub.open({ config, log: quiet, hubSecret: SECRET, database: { url: ds.url, poolSize: 10 } });
  try {
    let meta = ds.meta;
    if (meta) log(`dataset ${ds.url.replace(/\/\/[^@]*@/, '//')} reused: ${meta.guests} guests, ${meta.checkouts} checkouts`);
    else {
      log(`generating ${guests} guests and ${checkouts} checkouts into ${new URL(ds.url).pathname.slice(1)}`);
      meta = await generate(hub, { guests, checkouts });
      await hub.db.manager.query(`INSERT INTO bench_meta (k, v) VALUES ('dataset', ?)`, [JSON.stringify(meta)]);
    }
    const port = await hub.start(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${port}`;
    const login = await fetch(`${baseUrl}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: meta.ownerEmail, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const get = async (path: string) => {
      const r = await fetch(`${baseUrl}${path}`, { headers: { cookie } });
      const body = await r.text();
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body.slice(0, 200)}`);
      return body;
    };
    const dash = JSON.parse(await get('/v1/admin/analytics/dashboard?interval=day')) as { totals: { sales: number }; kpis: unknown };
    log(`dashboard (last 30 days): ${dash.totals.sales} sales; kpis ${JSON.stringify(dash.kpis)}`);
    const ctx = { businessId: meta.businessId, actor: systemActor('bench') };
    const scan = () =>
      hub.db.manager.query(`SELECT COUNT(*) n, SUM(spendMinor) s, SUM(visits) v, MAX(lastPurchaseAt) l FROM guests WHERE businessId = ?`, [meta!.businessId]);

    const dashMs: number[] = [];
    const lookupMs: number[] = [];
    const rfmMs: number[] = [];
    const scanMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      await get('/v1/admin/analytics/dashboard');
      await get(`/v1/admin/guests/${meta.guestId}`);
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 50; i++) {
        dashMs.push(await timeIt(() => get('/v1/admin/analytics/dashboard')));
        lookupMs.push(await timeIt(() => get(`/v1/admin/guests/${meta!.guestId}`)));
      }
      rfmMs.push(await timeIt(() => hub.services.analytics.recomputeRfm(ctx)));
      scanMs.push(await timeIt(scan));
      log(
        `round ${r + 1}/${rounds}: dashboard p95 ${round(percentile(Float64Array.from(dashMs).sort(), 95), 2)} ms, lookup p95 ${round(percentile(Float64Array.from(lookupMs).sort(), 95), 2)} ms, rfm ${round(rfmMs[r]!)} ms, scan ${round(scanMs[r]!)} ms`,
      );
    }
    const p95 = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 95);
    const snap = await hub.services.analytics.rfm(ctx);
    const results = new Results('analytics');
    const scale = { guests: meta.guests, checkouts: meta.checkouts, database: 'mariadb' };
    results.add({
      bench: 'analytics.dashboard',
      value: round(p95(dashMs), 2),
      unit: 'ms',
      baseline: 'single-row-lookup',
      baselineValue: round(p95(lookupMs), 2),
      ratio: round(p95(dashMs) / p95(lookupMs), 2),
      p95ms: round(p95(dashMs), 2),
      p50ms: round(median(dashMs), 2),
      baselineP50ms: round(median(lookupMs), 2),
      target: 10,
      samples: dashMs.length,
      ...scale,
    });
    results.add({
      bench: 'analytics.rfm',
      value: round(median(rfmMs)),
      unit: 'ms',
      baseline: 'bare-sql-scan',
      baselineValue: round(median(scanMs)),
      ratio: round(median(rfmMs) / median(scanMs), 2),
      p95ms: round(p95(rfmMs)),
      baselineP95ms: round(p95(scanMs)),
      target: 3,
      rounds,
      buyers: snap.buyers,
      ...scale,
    });
    log(`wrote ${results.write()}`);
    return 0;
  } finally {
    await hub.stop();
  }
}
