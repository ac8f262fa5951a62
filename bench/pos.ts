/**
 * `npm run bench -- pos [options]`: a till's card lookup through a POS connector beside the same
 * lookup on the POS API, in one run (DESIGN §9).
 *
 *   pos.rkeeper-getcardinfo   p95 (ms) of r_keeper's GetCardInfoEx (FARCARDS XML over HTTP) through
 *                             the rkeeper connector + the bus (`card.lookup` command) + the hub ÷ the
 *                             p95 of `GET /v1/pos/cards/lookup` for the same cards (`pos-api-lookup`).
 *                             Targets: p95 ≤ 100 ms (tills wait about 1 s), ratio ≤ 1.5.
 *
 * Both loads are closed loops of keep-alive HTTP clients in a worker thread against one in-process
 * hub; rounds alternate ABBA (ours, direct, direct, ours …) so drift and going first hit both
 * alike. Before and after the load, sample answers are checked (GetCardInfoEx `Result="0"` with the
 * card's holder, the POS API 200 with the card), since FARCARDS answers are HTTP 200 even when they
 * refuse. `cpuMsPerOp` is this process's CPU (hub and load thread) per lookup on each side.
 *
 * Backends: SQLite (a file in a temporary folder) + the memory bus by default; MariaDB with
 * BENCH_DATABASE_URL (server part; a fresh `loyalty_test_bench_*` database, dropped at the end) and
 * RabbitMQ with BENCH_AMQP_URL (its own namespace, deleted at the end).
 *
 * Options: --cards=2000 (demo guests with a card), --concurrency=4 (clients per load), --rounds=6,
 * --duration=2.5 (seconds per round), --quick (short rounds: a smoke run), --only=rkeeper|pos (one side
 * alone, e.g. under --cpu-prof; no result line).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { loadConfig } from '../hub/src/config';
import { Hub } from '../hub/src/hub';
import type { Bus } from '../hub/src/bus/bus';
import { MemoryBus } from '../hub/src/bus/memory-bus';
import { consumerQueues, RabbitBus, rabbitNames } from '../hub/src/bus/rabbit-bus';
import { WALLET_CONSUMER } from '../hub/src/modules/wallet/wallet.service';
import { systemActor } from '../hub/src/shared/context';
import { createProgramBody } from '../hub/src/modules/programs/programs.schemas';
import { demoCardNumber, generateGuests } from '../fixtures/src/demo-data/generate';
import { describeLoad, log, mergeResults, numFlag, parseArgs, percentile, Results, round, runHttpLoad, type LoadResult } from './lib';
import type { LookupArgs } from './scenarios/pos';

const SCENARIOS = path.resolve(__dirname, 'scenarios', 'pos.ts');
const FARCARDS_KEY = randomBytes(24).toString('hex');
const SECRET = 'bench-secret-'.padEnd(48, 'x');

interface Env {
  label: string;
  hub: Hub;
  baseUrl: string;
  args: LookupArgs;
  close(): Promise<void>;
}

async function openEnv(cards: number): Promise<Env> {
  const dbBase = process.env.BENCH_DATABASE_URL;
  const amqp = process.env.BENCH_AMQP_URL;
  const cleanups: (() => Promise<void>)[] = [];
  let database: { sqlitePath?: string; url?: string; poolSize?: number };
  if (dbBase) {
    const base = new URL(dbBase);
    const name = `loyalty_test_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = () =>
      mysql.createConnection({
        host: base.hostname,
        port: Number(base.port || 3306),
        user: decodeURIComponent(base.username),
        password: decodeURIComponent(base.password),
      });
    const c = await admin();
    await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await c.end();
    const url = new URL(base.toString());
    url.pathname = `/${name}`;
    database = { url: url.toString(), poolSize: 20 };
    cleanups.push(async () => {
      const d = await admin();
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    });
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-bench-pos-'));
    database = { sqlitePath: path.join(dir, 'hub.sqlite') };
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const namespace = `bench.pos.${process.pid}.${randomBytes(3).toString('hex')}`;
  const quiet = pino({ level: 'silent' });
  const bus: Bus = amqp ? new RabbitBus(amqp, quiet, { namespace }) : new MemoryBus();
  if (amqp) {
    cleanups.push(async () => {
      // Every queue and exchange of this run's namespace goes away with it.
      const conn = await connect(amqp);
      const ch = await conn.createChannel();
      const names = rabbitNames(namespace);
      for (const q of [names.commands, ...consumerQueues(WALLET_CONSUMER, [1000, 5000, 30000, 120000], namespace)])
        await ch.deleteQueue(q).catch(() => undefined);
      await ch.deleteExchange(names.exchange).catch(() => undefined);
      await conn.close().catch(() => undefined);
    });
  }
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    HUB_SECRET: SECRET,
    CONNECTORS: 'rkeeper',
    JOBS_ENABLED: 'false',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...(amqp ? { AMQP_URL: amqp } : {}),
  });
  const hub = await Hub.open({ config, bus, log: quiet, hubSecret: SECRET, database });
  try {
    const { tenants, programs, integrations } = hub.services;
    const { business } = await tenants.createBusiness({
      name: 'Bench Restaurant',
      currency: 'RUB',
      timezone: 'Europe/Moscow',
      locale: 'ru',
      owner: { email: `bench-${randomBytes(3).toString('hex')}@example.com`, name: 'Owner', password: 'bench-password-1' },
    });
    const ctx = { businessId: business.id, actor: systemActor('bench') };
    await tenants.updateBusiness(ctx, { settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } });
    const location = await tenants.createLocation(ctx, { name: 'Hall' });
    const { key } = await tenants.createTerminal(ctx, { name: 'Till 1', locationId: location.id, scopes: ['pos'] });
    const program = await programs.create(
      ctx,
      createProgramBody.parse({ name: 'Bonus 5%', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 30, pointValueMinor: 100 } }),
    );
    await integrations.install(ctx, {
      connectorId: 'rkeeper',
      enabled: true,
      config: { farcardsKey: FARCARDS_KEY, discountNumber: 25, bonusNumber: 4, tills: [{ restaurant: 1, unit: 3, locationId: location.id, till: 'rk-1-3' }] },
    });
    const t0 = Date.now();
    await generateGuests(hub.db, { businessId: business.id, programId: program.id, cardPrefix: program.cardPrefix, count: cards });
    log(`${cards} guests with cards generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const port = await hub.start(0, '127.0.0.1');
    return {
      label: `${database.url ? 'mariadb' : 'sqlite'}+${amqp ? 'rabbitmq' : 'memory'}`,
      hub,
      baseUrl: `http://127.0.0.1:${port}`,
      args: { businessId: business.id, farcardsKey: FARCARDS_KEY, terminalKey: key, cardPrefix: program.cardPrefix, cards },
      close: async () => {
        await hub.stop();
        for (const c of cleanups) await c().catch((e: Error) => log(`clean-up: ${e.message}`));
      },
    };
  } catch (e) {
    await hub.stop().catch(() => undefined);
    for (const c of cleanups) await c().catch(() => undefined);
    throw e;
  }
}

/** Checks a few answers the way the till reads them: the load generator only sees HTTP statuses. */
async function verify(env: Env, when: string): Promise<void> {
  for (const k of [0, 1, env.args.cards - 1]) {
    const number = demoCardNumber(env.args.cardPrefix, k);
    const xml = await fetch(`${env.baseUrl}/connectors/rkeeper/${env.args.businessId}/farcards?k=${env.args.farcardsKey}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: `<ROOT><QRY Card="${number}" Restaurant="1" UnitNo="3"/></ROOT>`,
    }).then((r) => r.text());
    if (!/<GetCardInfoEx Result="0"[^>]*Locked="0"/.test(xml) || !xml.includes(`PersonID="${number}"`))
      throw new Error(`${when}: GetCardInfoEx for ${number} did not find the card: ${xml.slice(0, 300)}`);
    const pos = await fetch(`${env.baseUrl}/v1/pos/cards/lookup?number=${number}`, { headers: { authorization: `Bearer ${env.args.terminalKey}` } });
    const body = (await pos.json()) as { card?: { number?: string } };
    if (pos.status !== 200 || body.card?.number !== number) throw new Error(`${when}: the POS API lookup of ${number} answered ${pos.status}`);
  }
}

const p95 = (r: LoadResult) => percentile(Float64Array.from(r.samples).sort(), 95);

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const quick = flags.quick === true;
  const cards = numFlag(flags, 'cards', quick ? 500 : 2000);
  const concurrency = numFlag(flags, 'concurrency', 4);
  const rounds = numFlag(flags, 'rounds', quick ? 1 : 6);
  const durationMs = numFlag(flags, 'duration', quick ? 1.5 : 2.5) * 1000;
  const results = new Results('pos');
  const env = await openEnv(cards);
  const stop = () => void env.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    log(`hub on ${env.label} at ${env.baseUrl}; ${cards} cards; ${rounds} rounds × ${durationMs / 1000} s × 2 loads, ${concurrency} clients each`);
    await verify(env, 'before the load');
    const load = (exp: 'getCardInfoRequests' | 'posLookupRequests') =>
      runHttpLoad({
        baseUrl: env.baseUrl,
        scenario: { module: SCENARIOS, export: exp, args: env.args },
        mode: 'closed',
        concurrency,
        durationMs,
        warmupMs: Math.min(1000, durationMs / 2),
      });
    const ours: LoadResult[] = [];
    const direct: LoadResult[] = [];
    // CPU of this process (the hub and the load thread) per successful lookup: steadier than
    // latency on a shared machine, and what the connector's extra work costs.
    const cpu = { ours: 0, direct: 0 };
    const timed = async (exp: 'getCardInfoRequests' | 'posLookupRequests') => {
      const c0 = process.cpuUsage();
      const r = await load(exp);
      const c = process.cpuUsage(c0);
      cpu[exp === 'getCardInfoRequests' ? 'ours' : 'direct'] += (c.user + c.system) / 1000;
      return r;
    };
    const only = typeof flags.only === 'string' ? flags.only : undefined;
    const runOurs = async (r: number) => {
      if (only === 'pos') return;
      ours.push(await timed('getCardInfoRequests'));
      log(`  round ${r + 1} rkeeper GetCardInfoEx: ${describeLoad(ours.at(-1)!)}`);
    };
    const runDirect = async (r: number) => {
      if (only === 'rkeeper') return;
      direct.push(await timed('posLookupRequests'));
      log(`  round ${r + 1} POS API lookup:       ${describeLoad(direct.at(-1)!)}`);
    };
    // ABBA: each side goes first in half the rounds, so going first (or second) favours neither.
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await runOurs(r);
        await runDirect(r);
      } else {
        await runDirect(r);
        await runOurs(r);
      }
    }
    // --only=rkeeper|pos profiles one side; no result line then.
    if (only) return 0;
    await verify(env, 'after the load');
    const o = mergeResults(ours);
    const d = mergeResults(direct);
    if (o.errors || d.errors)
      throw new Error(`errors during the load: rkeeper ${o.errors} (${o.firstError ?? ''}), POS API ${d.errors} (${d.firstError ?? ''})`);
    const ourP95 = round(p95(o), 2);
    const directP95 = round(p95(d), 2);
    results.add({
      bench: 'pos.rkeeper-getcardinfo',
      value: ourP95,
      unit: 'ms',
      baseline: 'pos-api-lookup',
      baselineValue: directP95,
      p95ms: ourP95,
      p50ms: round(o.p50, 2),
      p99ms: round(o.p99, 2),
      rps: round(o.rps),
      baselineRps: round(d.rps),
      cpuMsPerOp: round(cpu.ours / o.ok, 2),
      baselineCpuMsPerOp: round(cpu.direct / d.ok, 2),
      backend: env.label,
      concurrency,
      targetP95ms: 100,
      targetRatio: 1.5,
    });
    log(`wrote ${results.write()}`);
    return 0;
  } finally {
    process.removeListener('SIGINT', stop);
    await env.close();
  }
}
