/**
 * `npm run bench -- console [--guests=1m] [--rounds=6] [--fresh]`
 *
 * On MariaDB (BENCH_DATABASE_URL, default the CI's `loyalty` user): a business with `guests`
 * guests (one card each, from the bulk generator), birthdays and last visits spread over the year,
 * and sales by a quarter of them over the last 8 weeks (rollups rebuilt from those rows), kept in
 * the dataset database `loyalty_test_bench_console_<guests>` between runs (`--fresh` drops it).
 *
 * Measures, in interleaved rounds of the same run, over HTTP with the owner's session:
 * - `console.home`: p95 of `GET /v1/admin/home` ÷ p95 of `GET /v1/admin/guests/:id` (a single-row
 *   lookup). Target ≤ 10.
 * - `console.guests`: p95 of the guest list's first page sorted by card balance with "not back for
 *   30 days" (`notBackDays=30&sort=balance`, 50 rows) ÷ the same lookup. Target ≤ 10.
 * - `console.export`: the whole guest base as CSV (`/v1/admin/exports/clients.csv`), read to the
 *   end by a client in a child process: rows/s (target ≥ 50 000) and the hub process's RSS growth
 *   while streaming (target ≤ 200 MB).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { generateGuests } from '../fixtures/src/demo-data/generate';
import { loadConfig } from '../hub/src/config';
import { Hub } from '../hub/src/hub';
import { createProgramBody } from '../hub/src/modules/programs/programs.schemas';
import { systemActor } from '../hub/src/shared/context';
import { log, median, numFlag, parseArgs, percentile, Results, round } from './lib';

const SECRET = 'bench-console-secret-'.padEnd(48, 'x');
const PASSWORD = 'bench-password-1';
const DEFAULT_URL = 'mysql://loyalty:loyalty@127.0.0.1:3306/loyalty_test';
const DAY_S = 86_400;

interface Meta {
  businessId: string;
  ownerEmail: string;
  guestId: string;
  guests: number;
  checkouts: number;
}

/** GETs `url` in a child node process and answers the number of lines it read (the export's client). */
function readLinesInChild(url: string, cookie: string): Promise<number> {
  const script = `
    const http = require('node:http');
    http.get(process.argv[1], { headers: { cookie: process.argv[2] } }, (res) => {
      if (res.statusCode !== 200) { console.error('status ' + res.statusCode); process.exit(1); }
      let n = 0;
      res.on('data', (b) => { for (let i = 0; i < b.length; i++) if (b[i] === 10) n++; });
      res.on('end', () => { process.stdout.write(String(n)); });
    }).on('error', (e) => { console.error(e.message); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, url, cookie], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`export reader exited ${code}`))));
  });
}

const label = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

async function server(url: URL) {
  return mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
}

/** Creates (or finds) the dataset database and returns its metadata when it is complete. */
async function dataset(base: URL, guests: number, fresh: boolean): Promise<{ url: string; meta: Meta | null }> {
  const name = `loyalty_test_bench_console_${label(guests)}`;
  const c = await server(base);
  if (fresh) await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.query(`CREATE TABLE IF NOT EXISTS \`${name}\`.bench_meta (k varchar(32) PRIMARY KEY, v text NOT NULL)`);
  const [rows] = (await c.query(`SELECT v FROM \`${name}\`.bench_meta WHERE k = 'dataset'`)) as unknown as [{ v: string }[]];
  await c.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), meta: rows[0] ? (JSON.parse(rows[0].v) as Meta) : null };
}

async function generate(hub: Hub, guests: number): Promise<Meta> {
  const { tenants, programs } = hub.services;
  const ownerEmail = `bench-${randomBytes(3).toString('hex')}@example.com`;
  const { business } = await tenants.createBusiness({
    name: 'Bench Console',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    requireMfaForAdmins: false,
    owner: { email: ownerEmail, name: 'Owner', password: PASSWORD },
  });
  const ctx = { businessId: business.id, actor: systemActor('bench') };
  const location = (await tenants.createLocation(ctx, { name: 'Hall' })).id;
  const program = await programs.create(
    ctx,
    createProgramBody.parse({ name: 'Bonus 5%', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 30, pointValueMinor: 100 } }),
  );
  let t0 = Date.now();
  await generateGuests(hub.db, {
    businessId: business.id,
    programId: program.id,
    cardPrefix: program.cardPrefix,
    count: guests,
    startingPoints: 0,
    batchSize: 2000,
    onProgress: (d, n) => d % 100_000 === 0 && log(`guests ${d}/${n}`),
  });
  log(`${guests} guests with cards in ${round((Date.now() - t0) / 1000, 1)} s`);
  // Last visits over the past year, birthdays over the calendar, balances 0..4999 points (server-side).
  t0 = Date.now();
  const now = Math.floor(Date.now() / 1000);
  await hub.db.manager.query(
    `UPDATE guests SET lastPurchaseAt = FROM_UNIXTIME(? - (CRC32(id) % ?)),
       birthday = DATE_FORMAT(DATE_ADD('1980-01-01', INTERVAL (CRC32(phone) % 9000) DAY), '%Y-%m-%d'),
       birthdayMd = DATE_FORMAT(DATE_ADD('1980-01-01', INTERVAL (CRC32(phone) % 9000) DAY), '%m-%d')
     WHERE businessId = ?`,
    [now, 365 * DAY_S, business.id],
  );
  await hub.db.manager.query(`UPDATE cards SET pointsBalance = CRC32(id) % 5000 WHERE businessId = ?`, [business.id]);
  log(`visits, birthdays and balances spread in ${round((Date.now() - t0) / 1000, 1)} s`);
  // Sales: a quarter of the cards bought once in the last 8 weeks.
  t0 = Date.now();
  let cursor = '';
  let written = 0;
  for (;;) {
    const ids = (await hub.db.manager.query(`SELECT id FROM cards WHERE businessId = ? AND id > ? ORDER BY id LIMIT 100000`, [business.id, cursor])) as {
      id: string;
    }[];
    if (!ids.length) break;
    const hi = ids[ids.length - 1]!.id;
    const r = (await hub.db.manager.query(
      `INSERT INTO checkouts (id, businessId, idempotencyKey, requestHash, status, cardId, guestId, programId, locationId, actorType, actorId,
         totalMinor, discountMinor, pointsRedeemed, pointsAccrued, basket, decision, capturedAt, createdAt, updatedAt)
       SELECT CONCAT(LEFT(c.id, 34), '-0'), c.businessId, CONCAT(LEFT(c.id, 34), '-0'), 'bench', 'committed', c.id, c.guestId, c.programId, ?, 'terminal', 'bench',
         @t := 20000 + (CRC32(c.id) % 400) * 100, 0, 0, FLOOR(@t * 0.05 / 100), '{}', '{}',
         @at := FROM_UNIXTIME(? - (CRC32(c.number) % ?)), @at, @at
       FROM cards c WHERE c.businessId = ? AND c.id > ? AND c.id <= ? AND CRC32(c.id) % 4 = 0`,
      [location, now, 56 * DAY_S, business.id, cursor, hi],
    )) as { affectedRows: number };
    written += r.affectedRows;
    cursor = hi;
  }
  log(`${written} checkouts in ${round((Date.now() - t0) / 1000, 1)} s`);
  t0 = Date.now();
  const rb = await hub.services.analytics.rebuild(ctx);
  log(`rollups rebuilt from ${rb.sales} sales into ${rb.rows} rows in ${round((Date.now() - t0) / 1000, 1)} s`);
  const g = (await hub.db.manager.query(`SELECT id FROM guests WHERE businessId = ? ORDER BY id LIMIT 1 OFFSET ${Math.floor(guests / 2)}`, [business.id])) as {
    id: string;
  }[];
  return { businessId: business.id, ownerEmail, guestId: g[0]!.id, guests, checkouts: written };
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const guests = numFlag(flags, 'guests', 1_000_000);
  const rounds = numFlag(flags, 'rounds', 6);
  const base = new URL(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_URL);
  const ds = await dataset(base, guests, flags.fresh === true);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    HUB_SECRET: SECRET,
    JOBS_ENABLED: 'false',
    DATABASE_URL: ds.url,
    CONNECTORS: '',
  });
  const hub = await Hub.open({ config, log: pino({ level: 'silent' }), hubSecret: SECRET, database: { url: ds.url, poolSize: 10 } });
  try {
    let meta = ds.meta;
    if (meta) log(`dataset ${new URL(ds.url).pathname.slice(1)} reused: ${meta.guests} guests, ${meta.checkouts} checkouts`);
    else {
      log(`generating ${guests} guests into ${new URL(ds.url).pathname.slice(1)}`);
      meta = await generate(hub, guests);
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
    const HOME = '/v1/admin/home';
    const LIST = '/v1/admin/guests?notBackDays=30&sort=balance&order=desc&limit=50';
    const LOOKUP = `/v1/admin/guests/${meta.guestId}`;
    log(`home: ${await get(HOME)}`);
    log(`guests not back for 30 days by balance, first page: ${(JSON.parse(await get(LIST)) as { items: unknown[] }).items.length} rows`);
    for (let i = 0; i < 10; i++) await Promise.all([get(HOME), get(LIST), get(LOOKUP)].map((p) => p.then(() => undefined)));

    const homeMs: number[] = [];
    const listMs: number[] = [];
    const lookupMs: number[] = [];
    const p95 = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 95);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 20; i++) {
        homeMs.push(await timeIt(() => get(HOME)));
        lookupMs.push(await timeIt(() => get(LOOKUP)));
        listMs.push(await timeIt(() => get(LIST)));
        lookupMs.push(await timeIt(() => get(LOOKUP)));
      }
      log(`round ${r + 1}/${rounds}: home p95 ${round(p95(homeMs), 2)} ms, guests p95 ${round(p95(listMs), 2)} ms, lookup p95 ${round(p95(lookupMs), 2)} ms`);
    }

    // The export: read to the end, counting lines, sampling this process's RSS (the hub runs in it).
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = process.hrtime.bigint();
    // The reader is a separate process, so this process's RSS is the hub's alone (not the client's buffers).
    const lines = await readLinesInChild(`${baseUrl}/v1/admin/exports/clients.csv`, cookie);
    const exportS = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const rows = lines - 1;
    const growthMb = (peak - rss0) / 2 ** 20;
    log(
      `export: ${rows} rows in ${round(exportS, 1)} s = ${round(rows / exportS)} rows/s; RSS ${round(rss0 / 2 ** 20)} MB -> peak ${round(peak / 2 ** 20)} MB (+${round(growthMb)} MB)`,
    );

    const results = new Results('console');
    const scale = { guests: meta.guests, checkouts: meta.checkouts, database: 'mariadb' };
    for (const [bench, xs] of [
      ['console.home', homeMs],
      ['console.guests', listMs],
    ] as const) {
      results.add({
        bench,
        value: round(p95(xs), 2),
        unit: 'ms',
        baseline: 'single-row-lookup',
        baselineValue: round(p95(lookupMs), 2),
        ratio: round(p95(xs) / p95(lookupMs), 2),
        p95ms: round(p95(xs), 2),
        p50ms: round(median(xs), 2),
        baselineP50ms: round(median(lookupMs), 2),
        target: 10,
        samples: xs.length,
        ...scale,
      });
    }
    results.add({
      bench: 'console.export',
      value: round(rows / exportS),
      unit: 'rows/s',
      // No baseline can be run beside a CSV stream: the figure is set against its target (higher is better).
      baseline: 'target-rows-per-second',
      baselineValue: 50_000,
      ratio: round(rows / exportS / 50_000, 2),
      target: 50_000,
      rows,
      seconds: round(exportS, 2),
      rssStartMb: round(rss0 / 2 ** 20),
      rssPeakMb: round(peak / 2 ** 20),
      rssGrowthMb: round(growthMb),
      rssGrowthTargetMb: 200,
      ...scale,
    });
    log(`wrote ${results.write()}`);
    return 0;
  } finally {
    await hub.stop();
  }
}
