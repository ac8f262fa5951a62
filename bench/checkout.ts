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
 * Parts: checkout/dataset.ts (the hub and its guests), checkout/trace.ts (statements of one sale,
 * idle wait), checkout/baselines.ts (express hello, raw replay parameters), baselines/raw-checkout.ts
 * (the raw driver replay), scenarios/checkout.ts (request bodies); this file runs the measures.
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
import path from 'node:path';
import mysql from 'mysql2/promise';
import { RawMysqlSale, RawSqliteSale } from './baselines/raw-checkout';
import type { SaleArgs } from './scenarios/checkout';
import { closedLoopInProcess, describeLoad, HttpLoadSpec, LoadResult, log, mergeResults, numFlag, parseArgs, Results, round, runHttpLoad } from './lib';
import { BenchEnv, openEnv, openEnvs, sizeLabel } from './checkout/dataset';
import { diffKinds, profileSale, quiesce } from './checkout/trace';
import { rawParams, startHello, startHelloWithReads } from './checkout/baselines';

export { captureStatements, kindOf, type StatementProfile } from './checkout/trace';
export { openEnv, growTo, type BenchEnv } from './checkout/dataset';

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
  const floor = await startHelloWithReads(env);
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
    // The accrual-only sale (no points redeemed): no lots taken, the leanest real sale.
    let accrual = await profileSale(env, { ...args(), redeemPoints: 0 });
    for (let k = 0; k < 2; k++) {
      const again = await profileSale(env, { ...args(), redeemPoints: 0 });
      if (again.total < accrual.total) accrual = again;
    }
    log(`${name}: an accrual-only sale runs ${accrual.total} statements (goal ≤ 8):\n    ${accrual.lines.join('\n    ')}`);
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
          trace: false, // as the hub's pool (hub/src/db/db.ts): no stack trace captured per query
        });
        if (o.lean)
          leanPool = mysql.createPool({
            uri: env.dbUrl!,
            connectionLimit: 20,
            timezone: 'Z',
            supportBigNumbers: true,
            bigNumberStrings: false,
            enableKeepAlive: true,
            trace: false,
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
        statementsPerAccrualSale: accrual.total,
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
      const fq: LoadResult[] = [];
      for (let r = 0; r < o.rounds; r++) {
        // Quote rounds are cheap and steady: three quarters of a commit round is enough.
        const ms = Math.round(o.roundMs * 0.75);
        const a = await load('quoteRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: ms, warmupMs: 500 });
        const b = await load('helloRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: ms, warmupMs: 500 }, hello.url);
        const f = await load('helloRequests', { mode: 'closed', concurrency: o.concurrency, durationMs: ms, warmupMs: 500 }, floor.url);
        log(`${name}: quote round ${r + 1}: hub ${describeLoad(a)}`);
        log(`${name}: quote round ${r + 1}: express-hello ${describeLoad(b)}`);
        log(`${name}: quote round ${r + 1}: express + the 2 raw reads ${describeLoad(f)}`);
        oq.push(a);
        hq.push(b);
        fq.push(f);
      }
      const q = mergeResults(oq);
      const h = mergeResults(hq);
      const fl = mergeResults(fq);
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
        // The floor: express + the quote's two reads by the raw driver (no hub code at all).
        floorValue: round(fl.rps),
        floorRatio: round(fl.rps / h.rps, 2),
        ratioToFloor: round(q.rps / fl.rps, 2),
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
      // Where the box cannot carry the rate, the p99 at 80 % of the measured maximum (the closed-loop
      // commit rate) says what the hub does below saturation.
      if (r.rps < o.rate * 0.95 || r.dropped > 0) {
        const max = commitRps;
        const at = Math.max(1, Math.round(max * 0.8));
        await quiesce(env);
        const e = await load('commitRequests', { mode: 'open', rate: at, durationMs: o.openMs, maxInFlight: Math.max(64, Math.round(at / 4)) });
        log(`${name}: open loop at 80 % of the measured maximum (${round(max)} req/s): ${at} req/s: ${describeLoad(e)}`);
        results.add({
          bench: 'checkout.commit-p99-at-80pct-max',
          value: round(e.p99, 1),
          unit: 'ms',
          baseline: 'target',
          baselineValue: 50,
          ratio: round(e.p99 / 50, 2),
          p95ms: round(e.p95, 1),
          p99ms: round(e.p99, 1),
          rps: round(e.rps),
          targetRps: at,
          maxRps: round(max),
          p50ms: round(e.p50, 1),
          errors: e.errors + e.dropped,
        });
      }
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
          p95ms: round(mergeResults(large).p95, 1),
          baselineP95ms: round(mergeResults(small).p95, 1),
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
    await floor.close();
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
