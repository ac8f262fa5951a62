/**
 * Baselines measured in the same run: a bare express JSON hello (for quotes) and the parameters
 * the raw driver replay of one sale needs (for commits; the replay is bench/baselines/raw-checkout.ts).
 */
import type { Server } from 'node:http';
import express from 'express';
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
