/**
 * Baselines measured in the same run: a bare express JSON hello (for quotes) and the parameters
 * the raw driver replay of one sale needs (for commits; the replay is bench/baselines/raw-checkout.ts).
 */
import type { Server } from 'node:http';
import express from 'express';
import mysql from 'mysql2/promise';
import type { RawSaleParams } from '../baselines/raw-checkout';
import type { SaleArgs } from '../scenarios/checkout';
import type { BenchEnv } from './dataset';

/** A bare express app: JSON body parser and one route answering a JSON hello. */
export async function startHello(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.post('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  return listen(app);
}

/**
 * The floor of a quote: the same bare express app, but each request also runs the two reads a
 * quote cannot do without (the card by its number, its open point lots) with the raw driver and
 * answers them as JSON — no auth, no validation, no ORM, no rules. What a quote costs above this
 * is the hub's own; what this costs above the hello is the database round trips.
 */
export async function startHelloWithReads(env: BenchEnv): Promise<{ url: string; close: () => Promise<void> }> {
  const CARD = 'SELECT * FROM cards WHERE businessId = ? AND number = ? LIMIT 1';
  const LOTS = 'SELECT * FROM point_lots WHERE businessId = ? AND cardId = ? AND remaining > 0';
  let read: (number: string) => Promise<unknown>;
  let closeDb: () => Promise<void>;
  if (env.kind === 'mysql') {
    const pool = mysql.createPool({ uri: env.dbUrl!, connectionLimit: 20, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, enableKeepAlive: true, trace: false });
    read = async (number) => {
      const [cards] = (await pool.execute(CARD, [env.businessId, number])) as unknown as [{ id: string }[]];
      const card = cards[0];
      const [lots] = card ? ((await pool.execute(LOTS, [env.businessId, card.id])) as unknown as [unknown[]]) : [[]];
      return { card, lots };
    };
    closeDb = () => pool.end();
  } else {
    interface Stmt {
      get(...p: unknown[]): unknown;
      all(...p: unknown[]): unknown[];
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- no type declarations for better-sqlite3 here (as in raw-checkout.ts)
    const Database = require('better-sqlite3') as new (file: string, o: { readonly: boolean }) => { prepare(sql: string): Stmt; close(): void };
    const db = new Database(env.sqliteFile!, { readonly: true });
    const card = db.prepare(CARD);
    const lots = db.prepare(LOTS);
    read = async (number) => {
      const c = card.get(env.businessId, number) as { id: string } | undefined;
      return { card: c, lots: c ? lots.all(env.businessId, c.id) : [] };
    };
    closeDb = async () => void db.close();
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.post('/hello', async (req, res, next) => {
    try {
      res.json(await read(String((req.body as { card?: { number?: string } }).card?.number ?? '')));
    } catch (e) {
      next(e);
    }
  });
  const l = await listen(app);
  return { url: l.url, close: async () => (await l.close(), await closeDb()) };
}

async function listen(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
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

export async function rawParams(env: BenchEnv, args: SaleArgs): Promise<RawSaleParams> {
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
