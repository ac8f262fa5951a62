/**
 * What one sale costs in statements: every statement TypeORM sends for one real sale over HTTP
 * (before, in and after its transaction), the relay's and in-process consumers' share, and the
 * idle wait between rounds. The raw replay (bench/baselines/raw-checkout.ts) is checked against
 * this trace, statement by statement.
 */
import { randomBytes } from 'node:crypto';
import type { Logger as OrmLogger } from 'typeorm';
import { demoCardNumber } from '../../fixtures/src/demo-data/generate';
import { saleBody, SaleArgs } from '../scenarios/checkout';
import { log, sleep } from '../lib';
import type { BenchEnv } from './dataset';

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
export function diffKinds(hub: string[], raw: string[]): string {
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
export async function quiesce(env: BenchEnv, maxMs = 30_000): Promise<number> {
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
export async function profileSale(env: BenchEnv, args: SaleArgs): Promise<StatementProfile> {
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
  // A SET TRANSACTION right before START belongs to the transaction.
  const preTx = begin - (/^SET TRANSACTION/i.test(sale[begin - 1]?.sql ?? '') ? 1 : 0);
  const lines = sale.map((s, i) => {
    const prev = sale[i - 1];
    const t = shape(s.sql);
    const reload = prev && /^INSERT/i.test(prev.sql) && /^SELECT/i.test(s.sql) && shape(prev.sql).split(' ')[1] === t.split(' ')[1] && !/LIMIT/i.test(s.sql);
    return `${String(i + 1).padStart(2)}. ${i < preTx ? '[pre] ' : i > end ? '[post] ' : '      '}${t}${reload ? '   <- TypeORM reload after INSERT' : ''}`;
  });
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
