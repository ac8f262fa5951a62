/**
 * `npm run bench -- checkout [options]`: the POS hot path (DESIGN §5) of an in-process hub, on
 * MariaDB and on SQLite, against baselines measured in the same run (DESIGN §9).
 *
 *   checkout.commit[-sqlite]            req/s of POST /v1/pos/checkouts (closed loop, keep-alive) ÷ the
 *                                       same SQL statements replayed by a raw driver loop
 *                                       (raw-mysql2 | raw-better-sqlite3), rounds interleaved
 *   checkout.quote[-sqlite]             req/s of POST /v1/pos/checkouts/quote ÷ a bare express app
 *                                       answering a JSON hello to the same requests (express-hello)
 *   checkout.commit-p99-at-1000rps      MariaDB: p99 (ms) of commits sent open-loop at 1,000 req/s for
 *                                       10 s ÷ the 50 ms target; `rps` is the rate achieved
 *   checkout.commit-<N>[-sqlite]        p99 of commits at a fixed open-loop rate (half the measured commit
 *                                       rate) on a fresh hub whose database holds N guests and cards ÷ the
 *                                       same on a fresh hub with 10k; rounds alternate between the two (ABBA)
 *                                       and the pair with the median ratio is reported (target ≤ 1.2);
 *                                       `pairRatios` shows the spread
 *
 * Between rounds the bench waits until the hub is idle (outbox published, bus consumers done), so
 * deferred work of one round never lands on the next round or on a baseline. Progress, the
 * statements of one sale and every round go to stderr; stdout carries only the result lines.
 *
 * Duration on a shared 2-core box: about 4–5 minutes by default; --guests=1m adds ~1.5 min of data
 * generation on MariaDB (4M rows) and ~2 min on SQLite.
 *
 * Options: --guests=N (size of the scaling measure, default 100k; --guests=1m for a million),
 * --base-guests=N (10k), --backend=mariadb|sqlite|mariadb,sqlite, --concurrency=16, --rounds=3,
 * --duration=4 (seconds per round), --rate=1000, --open-seconds=10, --scale-rate=N (default: half the
 * measured commit rate, at most 500), --only=commit,quote,open,scale (a subset), --no-scale,
 * --no-open-loop, --lean (also time a 13-statement raw sale: `leanRawValue` on the commit lines),
 * --quick (short rounds: a smoke run).
 *
 * MariaDB: BENCH_DATABASE_URL or TEST_DATABASE_URL (server part), default
 * mysql://loyalty:loyalty@127.0.0.1:3306/; a fresh `loyalty_test_bench_*` database is created and
 * dropped. SQLite: a file in a temporary directory (WAL, like the embedded hub).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import mysql from 'mysql2/promise';
import pino from 'pino';
import type { Logger as OrmLogger } from 'typeorm';
import { loadConfig } from '../hub/src/config';
import { Db } from '../hub/src/db/db';
import { Hub } from '../hub/src/hub';
import { MemoryBus } from '../hub/src/bus/memory-bus';
import { systemActor } from '../hub/src/shared/context';
import { createProgramBody } from '../hub/src/modules/programs/programs.schemas';
import { generateGuests } from '../fixtures/src/demo-data/generate';
import { demoCardNumber } from '../fixtures/src/demo-data/generate';
import { RawMysqlSale, RawSaleParams, RawSqliteSale } from './baselines/raw-checkout';
import { saleBody, SaleArgs } from './scenarios/checkout';
import { closedLoopInProcess, describeLoad, HttpLoadSpec, LoadResult, log, mergeResults, numFlag, parseArgs, Results, round, runHttpLoad, sleep } from './lib';

export interface BenchEnv {
  kind: 'mysql' | 'sqlite';
  hub: Hub;
  baseUrl: string;
  businessId: string;
  terminalKey: string;
  terminalId: string;
  locationId: string;
  programId: string;
  cardPrefix: string;
  guests: number;
  dbUrl?: string;
  sqliteFile?: string;
  close(): Promise<void>;
}

const DEFAULT_URL = 'mysql://loyalty:loyalty@127.0.0.1:3306/';

async function mysqlAdmin(base: URL) {
  return mysql.createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
}

let staleChecked = false;
/** Hubs not yet closed (a signal closes them and drops their databases). */
const openEnvs = new Set<BenchEnv>();

/**
 * A hub on a fresh database (MariaDB: a new `loyalty_test_bench_<pid>_<hex>` database; SQLite: a
 * file in a temporary directory) with a business, a terminal, a 5 % bonus program, fraud limits
 * off, `guests` demo guests, listening on 127.0.0.1. `close()` stops it and drops the database.
 */
export async function openEnv(kind: 'mysql' | 'sqlite', guests: number): Promise<BenchEnv> {
  let db: Db;
  let drop: () => Promise<void>;
  let dbUrl: string | undefined;
  let sqliteFile: string | undefined;
  if (kind === 'mysql') {
    const base = new URL(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_URL);
    const name = `loyalty_test_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    if (!staleChecked) {
      staleChecked = true;
      await dropStaleDatabases(base);
    }
    const admin = await mysqlAdmin(base);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const url = new URL(base.toString());
    url.pathname = `/${name}`;
    dbUrl = url.toString();
    db = await Db.open({ url: dbUrl, poolSize: 20, connectors: connectorTables() });
    drop = async () => {
      const c = await mysqlAdmin(base);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-bench-'));
    sqliteFile = path.join(dir, 'hub.sqlite');
    db = await Db.open({ sqlitePath: sqliteFile, connectors: connectorTables() });
    drop = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    return await startEnv(kind, db, drop, guests, dbUrl, sqliteFile);
  } catch (e) {
    await db.close().catch(() => undefined);
    await drop().catch(() => undefined);
    throw e;
  }
}

/** The tables of the connectors the bench hub loads (CONNECTORS' default), mapped when the database opens. */
const connectorTables = () => Hub.loadConnectors({ config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), hubSecret: 'bench-secret-'.padEnd(48, 'x') }).storage;

/** Drops bench databases left by runs that were killed (their process is gone). */
async function dropStaleDatabases(base: URL): Promise<void> {
  const c = await mysqlAdmin(base);
  try {
    const [rows] = await c.query("SHOW DATABASES LIKE 'loyalty\\_test\\_bench\\_%'");
    for (const row of rows as Record<string, string>[]) {
      const name = Object.values(row)[0]!;
      const pid = Number(/^loyalty_test_bench_(\d+)_/.exec(name)?.[1]);
      if (!pid || pid === process.pid) continue;
      try {
        process.kill(pid, 0);
      } catch {
        log(`dropping ${name}, left by a bench run that is gone`);
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }
    }
  } finally {
    await c.end();
  }
}

async function startEnv(kind: 'mysql' | 'sqlite', db: Db, drop: () => Promise<void>, guests: number, dbUrl?: string, sqliteFile?: string): Promise<BenchEnv> {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    HUB_SECRET: 'bench-secret-'.padEnd(48, 'x'),
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
  });
  const hub = new Hub({ config, db, bus: new MemoryBus(), log: pino({ level: 'silent' }), hubSecret: config.HUB_SECRET! });
  const { tenants, programs } = hub.services;
  const { business } = await tenants.createBusiness({
    name: 'Bench Coffee',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    owner: { email: `bench-${randomBytes(3).toString('hex')}@example.com`, name: 'Owner', password: 'bench-password-1' },
  });
  const ctx = { businessId: business.id, actor: systemActor('bench') };
  await tenants.updateBusiness(ctx, { settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } });
  const location = await tenants.createLocation(ctx, { name: 'Main' });
  const { terminal, key } = await tenants.createTerminal(ctx, { name: 'Till 1', locationId: location.id, scopes: ['pos', 'pos:refund'] });
  const program = await programs.create(ctx, createProgramBody.parse({ name: 'Bonus 5%', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 30 } }));
  const env: BenchEnv = {
    kind,
    hub,
    baseUrl: '',
    businessId: business.id,
    terminalKey: key,
    terminalId: terminal.id,
    locationId: location.id,
    programId: program.id,
    cardPrefix: program.cardPrefix,
    guests: 0,
    dbUrl,
    sqliteFile,
    close: async () => {
      if (!openEnvs.delete(env)) return;
      await hub.stop();
      await drop();
    },
  };
  openEnvs.add(env);
  await growTo(env, guests);
  const port = await hub.start(0, '127.0.0.1');
  env.baseUrl = `http://127.0.0.1:${port}`;
  return env;
}

/** Adds demo guests (with a card and 1000 points each) until the business has `n`. */
export async function growTo(env: BenchEnv, n: number): Promise<void> {
  if (n <= env.guests) return;
  const t0 = Date.now();
  let lastLog = t0;
  const r = await generateGuests(env.hub.db, {
    businessId: env.businessId,
    programId: env.programId,
    cardPrefix: env.cardPrefix,
    count: n - env.guests,
    startIndex: env.guests,
    onProgress: (done, total) => {
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`  … ${done}/${total} guests`);
      }
    },
  });
  env.guests = n;
  log(`${env.kind}: ${r.guests} guests + cards + ${r.ledgerRows} ledger rows generated in ${((Date.now() - t0) / 1000).toFixed(1)} s (now ${n})`);
}

/** Records every statement TypeORM sends while `fn` runs. */
export async function captureStatements(env: BenchEnv, fn: () => Promise<unknown>): Promise<{ sql: string; params: unknown[] }[]> {
  const ds = env.hub.db.ds as unknown as { logger: OrmLogger };
  const prev = ds.logger;
  const out: { sql: string; params: unknown[] }[] = [];
  ds.logger = {
    logQuery: (sql: string, params?: unknown[]) => void out.push({ sql, params: params ?? [] }),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  try {
    await fn();
  } finally {
    ds.logger = prev;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Statements of one sale
// ---------------------------------------------------------------------------------------------

export interface StatementProfile {
  /** Statements the request runs (before, in and around the transaction). */
  total: number;
  beforeTx: number;
  inTx: number;
  /** SELECTs TypeORM issues right after an INSERT to read back DB-generated columns. */
  reloads: number;
  /** What the outbox relay runs to publish the sale's events (batched across sales under load). */
  relay: number;
  /** Statements in-process bus consumers run for the sale's events (after the relay published them). */
  consumers: number;
  consumerLines: string[];
  lines: string[];
  /** The sale's statements as sent. */
  sqls: string[];
}

function shape(sql: string): string {
  const q = sql.replace(/[`"]/g, '');
  const verb = q.split(/\s+/)[0]!.toUpperCase();
  const table = /\b(?:FROM|INTO|UPDATE)\s+(\w+)/i.exec(q)?.[1] ?? '';
  const lock = /FOR UPDATE\s*$/i.test(q) ? ' FOR UPDATE' : '';
  const where =
    /\bWHERE\s+(.*?)(?:\s+(?:ORDER|LIMIT|FOR)\b|$)/i
      .exec(q)?.[1]
      ?.replace(/\b\w+\./g, '')
      .slice(0, 80) ?? '';
  return ['SELECT', 'UPDATE', 'DELETE'].includes(verb)
    ? `${verb} ${table}${where ? ` WHERE ${where}` : ''}${lock}`
    : verb === 'INSERT'
      ? `INSERT ${table}`
      : q.slice(0, 60);
}

/** Verb, table and lock of a statement: what must match between the hub's sale and its raw replay. */
export function kindOf(sql: string): string {
  const q = sql.replace(/[`"]/g, '').trim();
  const verb = q.split(/\s+/)[0]!.toUpperCase();
  if (!['SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(verb)) return q.split(/\s+/).slice(0, 2).join(' ').toUpperCase();
  const table = /\b(?:FROM|INTO|UPDATE)\s+(\w+)/i.exec(q)?.[1] ?? '';
  return `${verb} ${table}${/FOR UPDATE\s*$/i.test(q) ? ' FOR UPDATE' : ''}`;
}

/** Differences between two statement lists by kind ('' when they match). */
function diffKinds(hub: string[], raw: string[]): string {
  const a = hub.map(kindOf);
  const b = raw.map(kindOf);
  const out: string[] = [];
  for (let k = 0; k < Math.max(a.length, b.length); k++) if (a[k] !== b[k]) out.push(`#${k + 1}: hub ${a[k] ?? '-'} / raw ${b[k] ?? '-'}`);
  return out.join('; ');
}

const isRelay = (sql: string) => /\boutbox\b|\bjob_leases\b/i.test(sql);

/**
 * Waits until the hub is idle: every outbox row published and no statement other than the relay's
 * polling for a quarter of a second (in-process bus consumers, e.g. wallet, done with the backlog).
 * Called between rounds so one round's deferred work does not slow the next round (or a baseline).
 * Returns the milliseconds waited.
 */
async function quiesce(env: BenchEnv, maxMs = 30_000): Promise<number> {
  const t0 = Date.now();
  let quiet = 0;
  for (;;) {
    const stmts = await captureStatements(env, () => sleep(250));
    const rows = (await env.hub.db.ds.query('SELECT COUNT(*) AS n FROM outbox WHERE sentAt IS NULL')) as { n: number | string }[];
    const others = stmts.filter((x) => !isRelay(x.sql)).length;
    // Two quiet windows in a row; periodic pollers (jobs, workers) may show up with a statement or
    // two, so after a few seconds a window with fewer than 3 counts as quiet.
    quiet = Number(rows[0]?.n ?? 0) === 0 && (others === 0 || (others < 3 && Date.now() - t0 > 3000)) ? quiet + 1 : 0;
    if (quiet >= 2) return Date.now() - t0;
    if (Date.now() - t0 > maxMs) {
      log(`${env.kind}: hub still busy after ${maxMs} ms (${rows[0]?.n} events unsent); going on`);
      return Date.now() - t0;
    }
  }
}

/** Runs one real sale over HTTP with the relay paused, recording every statement; then one relay pass. */
async function profileSale(env: BenchEnv, args: SaleArgs): Promise<StatementProfile> {
  await env.hub.relay.stop();
  // Statements of periodic pollers (jobs, workers) seen while nothing is sold are not the sale's.
  const background = new Set((await captureStatements(env, () => sleep(1000))).map((x) => shape(x.sql)));
  const own = (list: { sql: string }[]) => list.filter((x) => !isRelay(x.sql) || /^INSERT/i.test(x.sql)).filter((x) => !background.has(shape(x.sql)));
  const body = saleBody(demoCardNumber(env.cardPrefix, 1), 1, args.redeemPoints, `P-${randomBytes(4).toString('hex')}`);
  // Refreshes the terminal-key cache (5 s), so the sale shows its own statements, not the every-5-s key lookup.
  await fetch(`${env.baseUrl}/v1/pos/terminal`, { headers: { authorization: `Bearer ${env.terminalKey}` } }).then((r) => r.arrayBuffer());
  const sale = await captureStatements(env, async () => {
    const res = await fetch(`${env.baseUrl}/v1/pos/checkouts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${env.terminalKey}`,
        'idempotency-key': `profile-${randomBytes(4).toString('hex')}`,
      },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`profile sale: HTTP ${res.status} ${await res.text()}`);
  }).then((list) => list.filter((x) => !background.has(shape(x.sql))));
  const relay = await captureStatements(env, () => env.hub.relay.runOnce());
  // What in-process consumers of the published events (wallet, …) run for this sale.
  const consumers = await captureStatements(env, () => sleep(800));
  env.hub.relay.start();
  const begin = sale.findIndex((s) => /^(START|BEGIN)/i.test(s.sql));
  const end = sale.findIndex((s) => /^COMMIT/i.test(s.sql));
  const lines = sale.map((s, i) => {
    const prev = sale[i - 1];
    const t = shape(s.sql);
    const reload = prev && /^INSERT/i.test(prev.sql) && /^SELECT/i.test(s.sql) && shape(prev.sql).split(' ')[1] === t.split(' ')[1] && !/LIMIT/i.test(s.sql);
    return `${String(i + 1).padStart(2)}. ${i < begin - (env.kind === 'mysql' ? 1 : 0) ? '[pre] ' : i > end ? '[post] ' : '      '}${t}${reload ? '   <- TypeORM reload after INSERT' : ''}`;
  });
  const preTx = begin - (env.kind === 'mysql' && /^SET TRANSACTION/i.test(sale[begin - 1]?.sql ?? '') ? 1 : 0);
  return {
    total: sale.length,
    beforeTx: preTx,
    inTx: sale.length - preTx,
    reloads: lines.filter((l) => l.includes('reload')).length,
    relay: relay.filter((s) => /outbox/i.test(s.sql)).length,
    consumers: own(consumers).length,
    consumerLines: own(consumers).map((s) => shape(s.sql)),
    lines,
    sqls: sale.map((x) => x.sql),
  };
}

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

/** A bare express app: JSON body parser and one route answering a JSON hello. */
async function startHello(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.post('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function rawParams(env: BenchEnv, args: SaleArgs): Promise<RawSaleParams> {
  const q =
    env.kind === 'mysql'
      ? 'SELECT decision FROM checkouts WHERE businessId = ? ORDER BY id DESC LIMIT 1'
      : 'SELECT decision FROM checkouts WHERE businessId = ? ORDER BY id DESC LIMIT 1';
  const rows = (await env.hub.db.ds.query(q, [env.businessId])) as { decision: string }[];
  if (!rows[0]) throw new Error('no checkout to copy a decision from');
  return {
    businessId: env.businessId,
    programId: env.programId,
    locationId: env.locationId,
    terminalId: env.terminalId,
    cardPrefix: env.cardPrefix,
    cards: args.cards,
    redeemPoints: args.redeemPoints,
    accrualPercent: 5,
    pointValueMinor: 100,
    decisionJson: rows[0].decision,
  };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

interface RunOptions {
  baseGuests: number;
  scaleGuests: number;
  concurrency: number;
  rounds: number;
  roundMs: number;
  rate: number;
  openMs: number;
  scaleRate?: number;
  /** Measures to run: commit, quote, open (1000 req/s), scale. */
  phases: Set<string>;
  /** Also time the 13-statement raw sale (what the hot path could cost), reported as extra fields. */
  lean: boolean;
}

const sizeLabel = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const SCENARIOS = path.join(__dirname, 'scenarios', 'checkout.ts');

/** Runs a load of one scenario against a bench hub. */
function loadOn(
  env: BenchEnv,
  exp: 'commitRequests' | 'quoteRequests' | 'helloRequests',
  spec: Omit<HttpLoadSpec, 'scenario' | 'baseUrl'>,
  baseUrl = env.baseUrl,
): Promise<LoadResult> {
  const args: SaleArgs = { terminalKey: env.terminalKey, cardPrefix: env.cardPrefix, cards: env.guests, redeemPoints: 10 };
  return runHttpLoad({ ...spec, baseUrl, scenario: { module: SCENARIOS, export: exp, args } });
}

async function runBackend(kind: 'mysql' | 'sqlite', o: RunOptions, results: Results): Promise<void> {
  const suffix = kind === 'sqlite' ? '-sqlite' : '';
  const name = kind === 'mysql' ? 'MariaDB' : 'SQLite';
  const t0 = Date.now();
  log(`${name}: preparing a hub with ${o.baseGuests} guests…`);
  const env = await openEnv(kind, o.baseGuests);
  const hello = await startHello();
  let pool: mysql.Pool | undefined;
  let leanPool: mysql.Pool | undefined;
  let rawSqlite: RawSqliteSale | undefined;
  try {
    const load = (exp: 'commitRequests' | 'quoteRequests' | 'helloRequests', spec: Omit<HttpLoadSpec, 'scenario' | 'baseUrl'>, baseUrl = env.baseUrl) =>
      loadOn(env, exp, spec, baseUrl);
    const args = (): SaleArgs => ({ terminalKey: env.terminalKey, cardPrefix: env.cardPrefix, cards: env.guests, redeemPoints: 10 });

    // Warm-up (JIT, pools, caches), then the statements of one sale.
    const warm = await load('commitRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: 2000 });
    log(`${name}: warm-up commit ${describeLoad(warm)}`);
    log(`${name}: hub idle after ${await quiesce(env)} ms`);
    // A job or worker may slip a statement into the capture: of three sales, the leanest is the sale's own.
    let prof = await profileSale(env, args());
    for (let k = 0; k < 2; k++) {
      const again = await profileSale(env, args());
      if (again.total < prof.total) prof = again;
    }
    log(
      `${name}: one sale runs ${prof.total} statements (${prof.beforeTx} before the transaction, ${prof.inTx} in it, ${prof.reloads} of them TypeORM reloads after INSERT):\n    ${prof.lines.join('\n    ')}\n` +
        `  then the outbox relay runs ${prof.relay} per pass (batched across sales), and in-process consumers of its events run ${prof.consumers}:\n    ${prof.consumerLines.join('\n    ')}`,
    );

    // checkout.commit: hub rounds interleaved with raw driver rounds at the same concurrency.
    let commitRps = warm.rps;
    if (o.phases.has('commit')) {
      const params = await rawParams(env, args());
      let rawOp: () => Promise<unknown> | unknown;
      let leanOp: () => Promise<unknown> | unknown;
      let rawConcurrency = o.concurrency;
      let rawTrace: string[] = [];
      let leanTrace: string[] = [];
      if (kind === 'mysql') {
        pool = mysql.createPool({
          uri: env.dbUrl!,
          connectionLimit: 20,
          timezone: 'Z',
          supportBigNumbers: true,
          bigNumberStrings: false,
          enableKeepAlive: true,
        });
        if (o.lean)
          leanPool = mysql.createPool({
            uri: env.dbUrl!,
            connectionLimit: 20,
            timezone: 'Z',
            supportBigNumbers: true,
            bigNumberStrings: false,
            enableKeepAlive: true,
          });
        const raw = new RawMysqlSale(pool, params, leanPool);
        rawOp = () => raw.sale();
        leanOp = () => raw.leanSale();
        rawTrace = await raw.traceSale();
        if (o.lean) leanTrace = await raw.traceSale(true);
      } else {
        rawSqlite = new RawSqliteSale(env.sqliteFile!, params);
        const raw = rawSqlite;
        rawOp = () => raw.sale();
        leanOp = () => raw.leanSale();
        rawTrace = raw.traceSale();
        if (o.lean) leanTrace = raw.traceSale(true);
        rawConcurrency = 1; // synchronous driver: one sale at a time (the hub serializes SQLite writers too)
      }
      const baselineName = kind === 'mysql' ? 'raw-mysql2' : 'raw-better-sqlite3';
      const drift = diffKinds(prof.sqls, rawTrace);
      if (drift) log(`${name}: WARNING the raw replay no longer matches the hub's sale (update bench/baselines/raw-checkout.ts): ${drift}`);
      else
        log(
          `${name}: ${baselineName} replays the hub's ${rawTrace.length} statements (same verbs, tables, locks, order)${o.lean ? `; raw-lean runs ${leanTrace.length}` : ''}`,
        );
      const ours: LoadResult[] = [];
      const base: LoadResult[] = [];
      const lean: LoadResult[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const a = await load('commitRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: o.roundMs, warmupMs: 500 });
        const idle = await quiesce(env);
        if (idle > 1000) log(`${name}: hub idle ${idle} ms after the round`);
        const b = await closedLoopInProcess({ concurrency: rawConcurrency, durationMs: o.roundMs, warmupMs: 300, op: async () => rawOp() });
        log(`${name}: commit round ${r + 1}: hub ${describeLoad(a)}`);
        log(`${name}: commit round ${r + 1}: ${baselineName} ${describeLoad(b)}`);
        ours.push(a);
        base.push(b);
        if (o.lean) {
          const c = await closedLoopInProcess({ concurrency: rawConcurrency, durationMs: o.roundMs, warmupMs: 300, op: async () => leanOp() });
          log(`${name}: commit round ${r + 1}: raw-lean (${leanTrace.length} statements) ${describeLoad(c)}`);
          lean.push(c);
        }
      }
      const oc = mergeResults(ours);
      const bc = mergeResults(base);
      if (oc.errors || bc.errors)
        log(`${name}: commit errors: hub ${oc.errors} ${JSON.stringify(oc.statuses)} ${oc.firstError ?? ''}; raw ${bc.errors} ${bc.firstError ?? ''}`);
      results.add({
        bench: `checkout.commit${suffix}`,
        value: round(oc.rps),
        unit: 'req/s',
        baseline: baselineName,
        baselineValue: round(bc.rps),
        p95ms: round(oc.p95, 1),
        p99ms: round(oc.p99, 1),
        baselineP99ms: round(bc.p99, 1),
        concurrency: o.concurrency,
        statementsPerSale: prof.total,
        baselineStatementsPerSale: rawTrace.length,
        ...(o.lean
          ? {
              leanRawValue: round(mergeResults(lean).rps),
              leanRawP99ms: round(mergeResults(lean).p99, 1),
              leanStatementsPerSale: leanTrace.length,
            }
          : {}),
      });
      commitRps = oc.rps;
    }

    // checkout.quote vs a bare express hello, same client, same bodies.
    if (o.phases.has('quote')) {
      const oq: LoadResult[] = [];
      const hq: LoadResult[] = [];
      for (let r = 0; r < o.rounds; r++) {
        // Quote rounds are cheap and steady: three quarters of a commit round is enough.
        const ms = Math.round(o.roundMs * 0.75);
        const a = await load('quoteRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: ms, warmupMs: 500 });
        const b = await load('helloRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: ms, warmupMs: 500 }, hello.url);
        log(`${name}: quote round ${r + 1}: hub ${describeLoad(a)}`);
        log(`${name}: quote round ${r + 1}: express-hello ${describeLoad(b)}`);
        oq.push(a);
        hq.push(b);
      }
      const q = mergeResults(oq);
      const h = mergeResults(hq);
      results.add({
        bench: `checkout.quote${suffix}`,
        value: round(q.rps),
        unit: 'req/s',
        baseline: 'express-hello',
        baselineValue: round(h.rps),
        p95ms: round(q.p95, 1),
        p99ms: round(q.p99, 1),
        baselineP99ms: round(h.p99, 1),
        concurrency: o.concurrency,
      });
    }

    // p99 of commits arriving open-loop at a fixed rate (MariaDB: the production backend). Latency
    // counts from each request's scheduled time. More than rate/4 requests in flight (a quarter of a
    // second of arrivals, 5x the p99 target) means the hub has fallen behind: those are dropped and
    // reported as errors rather than queued without bound.
    if (o.phases.has('open') && kind === 'mysql') {
      const maxInFlight = Math.max(64, Math.round(o.rate / 4));
      await quiesce(env);
      const r = await load('commitRequests', { mode: 'open', rate: o.rate, durationMs: o.openMs, maxInFlight });
      log(`${name}: open loop ${o.rate} req/s for ${o.openMs / 1000} s: ${describeLoad(r)}`);
      results.add({
        bench: `checkout.commit-p99-at-${o.rate}rps`,
        value: round(r.p99, 1),
        unit: 'ms',
        baseline: 'target',
        baselineValue: 50,
        ratio: round(r.p99 / 50, 2),
        p95ms: round(r.p95, 1),
        p99ms: round(r.p99, 1),
        rps: round(r.rps),
        targetRps: o.rate,
        p50ms: round(r.p50, 1),
        errors: r.errors + r.dropped,
      });
    }

    // p99 with many guests ÷ p99 with the base data set, on two fresh hubs (same history: neither has
    // run the phases above), each on its own database; rounds at the same open-loop rate alternate
    // between the two, in ABBA order.
    if (o.phases.has('scale') && o.scaleGuests > o.baseGuests) {
      const rate = o.scaleRate ?? Math.max(20, Math.min(500, Math.floor(commitRps / 2 / 5) * 5));
      log(`${name}: preparing two fresh hubs, with ${o.baseGuests} and ${o.scaleGuests} guests…`);
      const fresh = await openEnv(kind, o.baseGuests);
      let big: BenchEnv | undefined;
      try {
        big = await openEnv(kind, o.scaleGuests);
        for (const e of [fresh, big]) await loadOn(e, 'commitRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: 2000 });
        // Up to ~150 arrivals per round (3 to 5 s), five rounds per hub.
        const roundMs = Math.round(Math.min(5000, Math.max(3000, (150 / rate) * 1000)));
        const rounds = o.rounds + 2;
        const small: LoadResult[] = [];
        const large: LoadResult[] = [];
        // MariaDB: InnoDB buffer-pool misses (pages read from disk) per sale, server-wide, to tell
        // a working set that outgrew innodb_buffer_pool_size from noise.
        const misses = new Map<BenchEnv, { reads: number; sales: number }>();
        const poolReads = async (e: BenchEnv) =>
          kind === 'mysql'
            ? Number(((await e.hub.db.ds.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'")) as { Value: string }[])[0]?.Value ?? 0)
            : 0;
        const measure = async (e: BenchEnv) => {
          await quiesce(fresh);
          await quiesce(big!);
          const before = await poolReads(e);
          const res = await loadOn(e, 'commitRequests', { mode: 'open', rate, durationMs: roundMs, warmupMs: 500, maxInFlight: 1000 });
          const m = misses.get(e) ?? { reads: 0, sales: 0 };
          misses.set(e, { reads: m.reads + (await poolReads(e)) - before, sales: m.sales + res.ok + Math.round((rate * 500) / 1000) });
          return res;
        };
        for (let r = 0; r < rounds; r++) {
          let a: LoadResult;
          let b: LoadResult;
          if (r % 2 === 0) {
            a = await measure(fresh);
            b = await measure(big);
          } else {
            b = await measure(big);
            a = await measure(fresh);
          }
          log(`${name}: scale round ${r + 1}/${rounds} at ${rate} req/s: ${sizeLabel(fresh.guests)} guests ${describeLoad(a)}`);
          log(`${name}: scale round ${r + 1}/${rounds} at ${rate} req/s: ${sizeLabel(big.guests)} guests ${describeLoad(b)}`);
          small.push(a);
          large.push(b);
        }
        if (kind === 'mysql') {
          const per = (e: BenchEnv) => round(misses.get(e)!.reads / Math.max(1, misses.get(e)!.sales), 1);
          log(`${name}: buffer-pool reads per sale: ${sizeLabel(fresh.guests)} guests ${per(fresh)}, ${sizeLabel(big.guests)} guests ${per(big)}`);
        }
        // The pair (adjacent rounds) with the median ratio is reported: on a shared machine a
        // neighbour's burst tends to hit both rounds of a pair, and outlying pairs drop out.
        const pairs = small.map((a, i) => ({ small: a.p99, large: large[i]!.p99 })).sort((x, y) => x.large / x.small - y.large / y.small);
        const mid = pairs[Math.floor((pairs.length - 1) / 2)]!;
        results.add({
          bench: `checkout.commit-${sizeLabel(o.scaleGuests)}${suffix}`,
          value: round(mid.large, 1),
          unit: 'ms',
          baseline: `p99-at-${sizeLabel(o.baseGuests)}`,
          baselineValue: round(mid.small, 1),
          ratio: round(mid.large / mid.small, 2),
          p99ms: round(mid.large, 1),
          rps: rate,
          guests: o.scaleGuests,
          rounds,
          pairRatios: pairs.map((x) => round(x.large / x.small, 2)),
          pooledRatio: round(mergeResults(large).p99 / mergeResults(small).p99, 2),
        });
      } finally {
        await big?.close();
        await fresh.close();
      }
    }
  } finally {
    rawSqlite?.close();
    await pool?.end();
    await leanPool?.end();
    await hello.close();
    await env.close();
    log(`${name}: done in ${round((Date.now() - t0) / 1000)} s`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const quick = flags.quick === true;
  const backends = String(flags.backend ?? 'mariadb,sqlite')
    .split(',')
    .map((b) => b.trim().toLowerCase())
    .filter(Boolean);
  for (const b of backends) if (!['mariadb', 'mysql', 'sqlite'].includes(b)) throw new Error(`--backend: unknown ${b}`);
  const o: RunOptions = {
    baseGuests: numFlag(flags, 'base-guests', 10_000),
    scaleGuests: numFlag(flags, 'guests', 100_000),
    concurrency: numFlag(flags, 'concurrency', 16),
    rounds: numFlag(flags, 'rounds', quick ? 1 : 3),
    roundMs: numFlag(flags, 'duration', quick ? 1 : 4) * 1000,
    rate: numFlag(flags, 'rate', 1000),
    openMs: numFlag(flags, 'open-seconds', quick ? 3 : 10) * 1000,
    scaleRate: flags['scale-rate'] !== undefined ? numFlag(flags, 'scale-rate', 0) : undefined,
    lean: flags.lean === true,
    phases: new Set(
      String(flags.only ?? 'commit,quote,open,scale')
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x && !(x === 'scale' && flags.scale === false) && !(x === 'open' && flags['open-loop'] === false)),
    ),
  };
  for (const x of o.phases) if (!['commit', 'quote', 'open', 'scale'].includes(x)) throw new Error(`--only: unknown measure ${x} (commit, quote, open, scale)`);
  const results = new Results('checkout');
  const t0 = Date.now();
  // Ctrl-C (or SIGTERM): stop the hubs, drop their databases, keep the lines measured so far.
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${sig}: dropping the bench databases (again to quit at once)`);
    const timeout = new Promise((r) => setTimeout(r, 15_000).unref());
    void Promise.race([Promise.allSettled([...openEnvs].map((e) => e.close())), timeout]).finally(() => {
      results.write();
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const b of backends) await runBackend(b === 'sqlite' ? 'sqlite' : 'mysql', o, results);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const file = results.write();
    log(`${results.lines.length} measures written to ${path.relative(process.cwd(), file)} in ${round((Date.now() - t0) / 1000)} s`);
  }
  return 0;
}
