import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import mysql from 'mysql2/promise';
import supertest from 'supertest';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { Db } from '../src/db/db';
import type { ConnectorStorageSpec } from '../src/db/connector-migrations';
import { Hub } from '../src/hub';
import type { Bus } from '../src/bus/bus';
import { MemoryBus } from '../src/bus/memory-bus';
import { systemActor } from '../src/shared/context';

export type DbBackend = 'sqlite' | 'mariadb';
export type BusBackend = 'memory' | 'rabbitmq';

/** The database backends this run covers: SQLite always, MariaDB when TEST_DATABASE_URL is set. */
export function dbBackends(): DbBackend[] {
  return process.env.TEST_DATABASE_URL ? ['sqlite', 'mariadb'] : ['sqlite'];
}
export function busBackends(): BusBackend[] {
  return process.env.TEST_AMQP_URL ? ['memory', 'rabbitmq'] : ['memory'];
}

/** Runs the block once per database backend; test names carry `[sqlite]` / `[mariadb]`. */
export function describeEachDb(title: string, fn: (backend: DbBackend) => void): void {
  for (const b of dbBackends()) describe(`${title} [${b}]`, () => fn(b));
}

/** A fresh, empty MariaDB database for one test file; dropped by the returned function. */
export async function freshMariaDb(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `loyalty_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await mysql.createConnection({
        host: base.hostname,
        port: Number(base.port || 3306),
        user: decodeURIComponent(base.username),
        password: decodeURIComponent(base.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A fresh database (hub migrations, plus the tables of `connectors`: a hub's `catalog.storage`). */
export async function openTestDb(backend: DbBackend, connectors: ConnectorStorageSpec[] = []): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const db = await Db.open({ sqlitePath: ':memory:', connectors });
    return { db, drop: async () => undefined };
  }
  const fresh = await freshMariaDb();
  const db = await Db.open({ url: fresh.url, poolSize: 60, connectors });
  return { db, drop: fresh.drop };
}

export interface TestBusiness {
  businessId: string;
  ownerEmail: string;
  ownerPassword: string;
  ownerCookie: string;
  locationId: string;
  terminalId: string;
  terminalKey: string;
}

export interface TestHub {
  hub: Hub;
  http: ReturnType<typeof supertest>;
  backend: DbBackend;
  url?: string;
  /** Creates a business with an owner (logged in), a location and a terminal key. */
  business(name?: string): Promise<TestBusiness>;
  /** Logs a staff member in and returns the Cookie header value. */
  login(email: string, password: string): Promise<string>;
  /** Starts listening on a random port (for tests that need a real socket). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/** Boots the real hub on a fresh database (each test file its own), with the memory bus unless given one. */
export async function createTestHub(
  opts: { db?: DbBackend; bus?: Bus; env?: Record<string, string>; open?: { db: Db; drop: () => Promise<void> }; log?: pino.Logger } = {},
): Promise<TestHub> {
  const backend = opts.db ?? 'sqlite';
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', OUTBOX_POLL_MS: '50', ...(opts.env ?? {}) });
  const log = opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const hubSecret = 'test-secret-'.padEnd(48, 'x');
  // As main.ts: connectors first, then the database with their tables.
  const catalog = Hub.loadConnectors({ config, hubSecret, log });
  const { db, drop } = opts.open ?? (await openTestDb(backend, catalog.storage));
  const hub = new Hub({ config, db, bus: opts.bus ?? new MemoryBus(), log, hubSecret, catalog });
  await hub.bus.start();
  const http = supertest(hub.app);
  let server: Server | undefined;
  const t: TestHub = {
    hub,
    http,
    backend,
    async login(email, password) {
      const res = await http.post('/v1/admin/session').send({ email, password });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
      const set = res.headers['set-cookie'] as unknown as string[];
      return set.map((c) => c.split(';')[0]).join('; ');
    },
    async business(name = `Business ${++counter}`) {
      const ownerEmail = `owner${++counter}.${randomBytes(3).toString('hex')}@example.com`;
      const ownerPassword = 'owner-password-1';
      const { business } = await hub.services.tenants.createBusiness({
        name,
        currency: 'RUB',
        timezone: 'Europe/Moscow',
        locale: 'ru',
        owner: { email: ownerEmail, name: 'Owner', password: ownerPassword },
      });
      const ctx = { businessId: business.id, actor: systemActor('test') };
      const location = await hub.services.tenants.createLocation(ctx, { name: 'Main' });
      const { terminal, key } = await hub.services.tenants.createTerminal(ctx, {
        name: 'Till',
        locationId: location.id,
        scopes: ['pos', 'pos:refund', 'scanner'],
      });
      const ownerCookie = await t.login(ownerEmail, ownerPassword);
      return { businessId: business.id, ownerEmail, ownerPassword, ownerCookie, locationId: location.id, terminalId: terminal.id, terminalKey: key };
    },
    async listen() {
      await new Promise<void>((r) => {
        server = hub.app.listen(0, '127.0.0.1', () => r());
      });
      // As in production (Hub.start): idle keep-alive sockets outlive the clients' pools.
      server!.keepAliveTimeout = 65_000;
      const a = server!.address();
      t.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      return t.url;
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise((r) => server!.close(r));
      }
      await hub.stop();
      await drop();
    },
  };
  return t;
}
