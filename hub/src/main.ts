import 'reflect-metadata';
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import { assertSafeForProduction, ConfigError, loadConfig } from './config';
import { metricsApp } from './http/app';
import { Db } from './db/db';
import { Hub } from './hub';
import { randomToken } from './shared/crypto';
import { seedDemo, writeDemoFile } from './seed';
import { createBus } from './bus/factory';
import { runPrimary, workerCount } from './cluster';
import { migrateLocked, schemaProblem } from './db/schema-status';
import { NO_SMS_PROVIDER_TEXT } from './modules/engagement/engagement.sms';

const USAGE = `Usage: loyalty-hub [serve|migrate]
  serve    (default) run the hub: HTTP API, admin console, outbox relay, jobs, in-process connectors
  migrate  run the pending migrations of the hub and of the loaded connectors, then exit
           (under a database lock: safe while other hubs start); the same settings as serve
`;

/** HUB_SECRET from the environment, else (embedded mode) generated once into DATA_DIR. */
function hubSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, 'hub-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const s = randomToken(48);
  fs.writeFileSync(file, s + '\n', { mode: 0o600 });
  return s;
}

/**
 * DATA_DIR holds the database, the generated hub secret and the demo logins: only the hub's own
 * user may read it. A directory that already existed keeps its mode but is reported when open.
 */
function privateDataDir(dir: string, log: pino.Logger): void {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode & 0o077) log.warn({ dataDir: dir, mode: mode.toString(8) }, 'DATA_DIR is readable by other users; chmod 700 it');
}

/** The SQLite file (and its WAL and shared-memory files) readable and writable by the hub's user only. */
function privateSqliteFiles(file: string): void {
  if (!fs.existsSync(file)) fs.writeFileSync(file, '', { mode: 0o600 }); // an empty file is an empty database
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== 'serve' && command !== 'migrate') {
    process.stderr.write(`Unknown command ${command}\n${USAGE}`);
    process.exit(2);
  }
  // Everything the hub writes (database, secrets, demo logins) is private to its user.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig();
    // `migrate` is a tool: it needs the database settings, not the serving ones (SMS, /metrics).
    if (command === 'serve') assertSafeForProduction(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const log = pino({ level: config.LOG_LEVEL });
  privateDataDir(config.dataDir, log);
  const sqlitePath = path.join(config.dataDir, 'loyalty.sqlite');
  if (!config.DATABASE_URL) privateSqliteFiles(sqlitePath);
  const secret = hubSecret(config.dataDir, config.HUB_SECRET);
  const workers = workerCount(config.HUB_WORKERS);
  // HUB_WORKERS > 1: this process only supervises (the secret above is generated once, here).
  if (command === 'serve' && workers > 1 && cluster.isPrimary) return runPrimary(workers, log);
  // Connectors first: the database maps and migrates the tables of those it loads.
  const catalog = Hub.loadConnectors({ config, hubSecret: secret, log });
  const dbOptions = { url: config.DATABASE_URL, sqlitePath, poolSize: command === 'migrate' ? 2 : config.DATABASE_POOL_SIZE, connectors: catalog.storage };
  if (command === 'migrate') {
    const db = await Db.open(dbOptions, false);
    try {
      const ran = await migrateLocked(db.ds, catalog.storage);
      process.stdout.write(
        ran.length ? `Applied ${ran.length} migration(s):\n${ran.map((n) => `  ${n}\n`).join('')}` : 'The schema is up to date; nothing to apply.\n',
      );
    } catch (e) {
      process.stderr.write(`Migration failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    } finally {
      await db.close();
    }
    return;
  }
  const db = await Db.open(dbOptions, config.MIGRATE_ON_START);
  // A hub never serves against a schema it does not know: behind (run `loyalty-hub migrate`) or ahead (a newer hub migrated).
  const problem = schemaProblem(await db.schemaStatus());
  if (problem) {
    await db.close();
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  log.info({ database: db.kind, connectors: [...catalog.defs.keys()], migrated: config.MIGRATE_ON_START }, 'database ready, schema current');
  const bus = await createBus(config, log);
  const hub = new Hub({ config, db, bus, log, hubSecret: secret, catalog });
  const demo = config.SEED_DEMO ? await seedDemo(hub, config.publicUrl, config.DEMO_LOCALE) : undefined;
  const port = await hub.start();
  log.info({ port, database: db.kind, bus: bus.kind }, 'hub listening');
  if (!config.DATABASE_URL) privateSqliteFiles(sqlitePath);
  let metricsServer: http.Server | undefined;
  const metricsPort = config.METRICS_PORT;
  if (metricsPort !== undefined) {
    const host = config.METRICS_HOST ?? config.HOST;
    metricsServer = await new Promise<http.Server>((resolve, reject) => {
      const s = metricsApp(hub.metrics, config.METRICS_TOKEN).listen(metricsPort, host, () => resolve(s));
      s.on('error', reject);
    });
    log.info({ port: metricsPort, host }, 'metrics listening');
  }
  // Without an SMS provider no guest can finish an SMS registration: the banner says so, in the console's words.
  const smsLine = config.SMS_PROVIDER === 'console' ? `  SMS           : OFF for guests. ${NO_SMS_PROVIDER_TEXT}\n` : '';
  if (process.env.HUB_QUIET === '1') {
    // A second HUB_WORKERS process: worker 0 printed the banner.
  } else if (demo && config.NODE_ENV === 'production') {
    // Never credentials on stdout in production (logs are shipped and kept): only where to find them.
    const file = writeDemoFile(config.dataDir, demo);
    process.stdout.write(
      `\n  Loyalty hub is running at ${config.publicUrl} (admin: ${config.publicUrl}/admin); demo business seeded (SEED_DEMO=true), its logins are in ${file} (readable by this user only)\n${smsLine}\n`,
    );
  } else if (demo) {
    const file = writeDemoFile(config.dataDir, demo);
    process.stdout.write(
      [
        '',
        '  Loyalty hub is running (embedded demo business seeded)',
        `  Admin console : ${demo.adminUrl}`,
        `  Login         : ${demo.ownerEmail} / ${demo.ownerPassword}`,
        `  Terminal key  : ${demo.terminalKey}`,
        `  API docs      : ${demo.apiDocsUrl}`,
        `  Try the POS API: ${demo.curl}`,
        `  (saved to ${file})`,
        ...(smsLine ? [smsLine.trimEnd()] : []),
        '',
      ].join('\n') + '\n',
    );
  } else {
    const file = path.join(config.dataDir, 'demo.json');
    process.stdout.write(
      `\n  Loyalty hub is running at ${config.publicUrl} (admin: ${config.publicUrl}/admin)${fs.existsSync(file) ? `; demo logins in ${file}` : ''}\n${smsLine}\n`,
    );
  }
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'shutting down: draining in-flight requests and the outbox batch');
    const t = setTimeout(() => {
      log.error({ seconds: config.SHUTDOWN_TIMEOUT_SECONDS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    t.unref();
    if (metricsServer) await new Promise<void>((r) => metricsServer!.close(() => r()));
    await hub.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`Hub failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
