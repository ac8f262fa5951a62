import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { memoryLogger, testServices } from '@loyalty/sdk/testkit';
import { scopedStore } from '@loyalty/sdk';
import { createConnector, webhookEntities, webhookMigrations, type WebhooksOptions } from '../src';

/** A webhook receiver on 127.0.0.1: answers with `reply(n)` for the n-th request (1-based) and records everything. */
export interface Receiver {
  url: string;
  requests: { headers: http.IncomingHttpHeaders; body: string }[];
  /** Distinct webhook-ids received (what a receiver that dedupes would process). */
  ids: Set<string>;
  close(): Promise<void>;
}

export type Reply = { status: number; headers?: Record<string, string>; hang?: boolean };

export async function receiver(reply: (n: number) => Reply = () => ({ status: 200 })): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const ids = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r = reply(requests.length);
      if (r.hang) return;
      if (r.status >= 200 && r.status < 300) ids.add(String(req.headers['webhook-id']));
      res.writeHead(r.status, r.headers ?? {});
      res.end(r.status >= 200 && r.status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    ids,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** An in-memory SQLite database with the connector's tables, made by the connector's own migrations. */
export async function memoryDb(): Promise<DataSource> {
  const ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: webhookEntities, migrations: webhookMigrations });
  await ds.initialize();
  await ds.runMigrations();
  return ds;
}

/** The connector on a fresh database, with private targets allowed (receivers are on 127.0.0.1). */
export async function webhooks(opts: { clock?: FakeClock; allowPrivate?: boolean } & WebhooksOptions = {}) {
  const ds = await memoryDb();
  const log = memoryLogger();
  const { clock, allowPrivate = true, ...rest } = opts;
  const def = createConnector(
    testServices({ store: scopedStore('webhooks', webhookEntities, ds), log, now: clock?.now ?? (() => new Date()), settings: { WEBHOOKS_ALLOW_PRIVATE: String(allowPrivate) } }),
    { random: () => 0, ...rest },
  );
  return { def, engine: def.engine, ds, log, close: () => ds.destroy() };
}

export const sale = {
  checkoutId: 'co-1',
  cardId: 'card-1',
  guestId: 'g-1',
  locationId: null,
  terminalId: null,
  currency: 'RUB',
  totalMinor: 150000,
  discountMinor: 5000,
  pointsRedeemed: 0,
  pointsAccrued: 1450,
  giftSpentMinor: 0,
  stampsAdded: 0,
  couponCode: null,
  receipt: { number: '42', date: '2026-11-25' },
};
