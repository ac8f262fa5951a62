/**
 * The checkout bench's data set: a hub on a fresh database (MariaDB or SQLite) with one business,
 * terminal and bonus program, grown to N demo guests with cards and points.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { loadConfig } from '../../hub/src/config';
import { Db } from '../../hub/src/db/db';
import { Hub } from '../../hub/src/hub';
import { MemoryBus } from '../../hub/src/bus/memory-bus';
import { systemActor } from '../../hub/src/shared/context';
import { createProgramBody } from '../../hub/src/modules/programs/programs.schemas';
import { generateGuests } from '../../fixtures/src/demo-data/generate';
import { log } from '../lib';

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
export const openEnvs = new Set<BenchEnv>();

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
const connectorTables = () =>
  Hub.loadConnectors({ config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), hubSecret: 'bench-secret-'.padEnd(48, 'x') }).storage;

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

/** 10000 → "10k", 1000000 → "1m". */
export const sizeLabel = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
