import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { Db } from './db/db';
import { Hub } from './hub';
import { randomToken } from './shared/crypto';
import { seedDemo, writeDemoFile } from './seed';
import { createBus } from './bus/factory';

/** HUB_SECRET from the environment, else (embedded mode) generated once into DATA_DIR. */
function hubSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, 'hub-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const s = randomToken(48);
  fs.writeFileSync(file, s + '\n', { mode: 0o600 });
  return s;
}

export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const log = pino({ level: config.LOG_LEVEL });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = hubSecret(config.dataDir, config.HUB_SECRET);
  // Connectors first: the database maps and migrates the tables of those it loads.
  const catalog = Hub.loadConnectors({ config, hubSecret: secret, log });
  const db = await Db.open({
    url: config.DATABASE_URL,
    sqlitePath: path.join(config.dataDir, 'loyalty.sqlite'),
    poolSize: config.DATABASE_POOL_SIZE,
    connectors: catalog.storage,
  });
  log.info({ database: db.kind, connectors: [...catalog.defs.keys()] }, 'database ready, migrations applied');
  const bus = await createBus(config, log);
  const hub = new Hub({ config, db, bus, log, hubSecret: secret, catalog });
  const demo = config.SEED_DEMO ? await seedDemo(hub, config.publicUrl) : undefined;
  const port = await hub.start();
  log.info({ port, database: db.kind, bus: bus.kind }, 'hub listening');
  if (demo) {
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
        '',
      ].join('\n') + '\n',
    );
  } else {
    const file = path.join(config.dataDir, 'demo.json');
    process.stdout.write(
      `\n  Loyalty hub is running at ${config.publicUrl} (admin: ${config.publicUrl}/admin)${fs.existsSync(file) ? `; demo logins in ${file}` : ''}\n\n`,
    );
  }
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'shutting down');
    const t = setTimeout(() => process.exit(1), 15000);
    t.unref();
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
