/**
 * Shared pieces of the benchmarks (`npm run bench -- <name>`, DESIGN §9): argument parsing,
 * latency percentiles, the result lines (`{"bench", "value", "unit", "baseline", "baselineValue",
 * "ratio", …}`) written to stdout and to `bench-results/<name>.jsonl`, and a keep-alive HTTP load
 * generator (closed loop or open loop) that runs in a worker thread, so its own work does not sit
 * on the event loop of the in-process hub it measures.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

// ---------------------------------------------------------------------------------------------
// Arguments, logging, rounding
// ---------------------------------------------------------------------------------------------

/** `--key=value`, `--flag` (true) and `--no-flag` (false); anything else is positional. */
export function parseArgs(argv: string[]): { flags: Record<string, string | boolean>; positional: string[] } {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (const a of argv) {
    const m = /^--(no-)?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) positional.push(a);
    else if (m[1]) flags[m[2]!] = false;
    else flags[m[2]!] = m[3] ?? true;
  }
  return { flags, positional };
}

/** A numeric flag (accepts `1e6`, `1_000_000`, `100k`, `1m`). */
export function numFlag(flags: Record<string, string | boolean>, name: string, dflt: number): number {
  const v = flags[name];
  if (v === undefined || v === true || v === false) return dflt;
  const m = /^([\d_.e+]+)([km]?)$/i.exec(v.trim());
  const n = m ? Number(m[1]!.replace(/_/g, '')) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1) : NaN;
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

/** Progress goes to stderr; stdout carries only the result lines. */
export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Latency
// ---------------------------------------------------------------------------------------------

/** The p-th percentile (0..100) of ascending-sorted samples, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface LoadResult {
  /** Successful operations in the measured window. */
  ok: number;
  errors: number;
  /** Operations an open loop could not start (too many in flight). */
  dropped: number;
  seconds: number;
  /** ok ÷ seconds. */
  rps: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** Successful operations' latencies in ms (kept to merge interleaved rounds). */
  samples: Float64Array;
  statuses: Record<string, number>;
  firstError?: string;
}

export function summarize(
  samples: Float64Array,
  seconds: number,
  extra: { errors?: number; dropped?: number; statuses?: Record<string, number>; firstError?: string } = {},
): LoadResult {
  const sorted = Float64Array.from(samples).sort();
  return {
    ok: samples.length,
    errors: extra.errors ?? 0,
    dropped: extra.dropped ?? 0,
    seconds,
    rps: samples.length / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    samples,
    statuses: extra.statuses ?? {},
    firstError: extra.firstError,
  };
}

/** Several rounds of the same load (interleaved with a baseline's) as one result. */
export function mergeResults(rs: LoadResult[]): LoadResult {
  const total = rs.reduce((s, r) => s + r.samples.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  const statuses: Record<string, number> = {};
  for (const r of rs) {
    all.set(r.samples, at);
    at += r.samples.length;
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  return summarize(
    all,
    rs.reduce((s, r) => s + r.seconds, 0),
    {
      errors: rs.reduce((s, r) => s + r.errors, 0),
      dropped: rs.reduce((s, r) => s + r.dropped, 0),
      statuses,
      firstError: rs.find((r) => r.firstError)?.firstError,
    },
  );
}

export const describeLoad = (r: LoadResult) =>
  `${round(r.rps)} op/s  p50 ${round(r.p50, 1)} ms  p90 ${round(r.p90, 1)} ms  p95 ${round(r.p95, 1)} ms  p99 ${round(r.p99, 1)} ms  max ${round(r.max, 1)} ms  (${r.ok} ok, ${r.errors} errors${r.dropped ? `, ${r.dropped} dropped` : ''} in ${round(r.seconds, 1)} s)${r.firstError ? `  first error: ${r.firstError}` : ''}`;

// ---------------------------------------------------------------------------------------------
// In-process loops (raw database baselines)
// ---------------------------------------------------------------------------------------------

/**
 * A closed loop in this thread: `concurrency` workers call `op` back to back for `durationMs`
 * (after `warmupMs` unmeasured). `op` resolves when one operation is done; a throw counts as an error.
 */
export async function closedLoopInProcess(o: {
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  op: (worker: number) => Promise<unknown>;
}): Promise<LoadResult> {
  const run = async (ms: number, record: boolean) => {
    const lat: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: o.concurrency }, async (_, w) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          try {
            await o.op(w);
            if (record) lat.push(performance.now() - t0);
          } catch (e) {
            errors++;
            firstError ??= (e as Error).message;
          }
        }
      }),
    );
    return { lat, errors, firstError, seconds: (performance.now() - start) / 1000 };
  };
  if (o.warmupMs) await run(o.warmupMs, false);
  const r = await run(o.durationMs, true);
  return summarize(Float64Array.from(r.lat), r.seconds, { errors: r.errors, firstError: r.firstError });
}

// ---------------------------------------------------------------------------------------------
// Result lines
// ---------------------------------------------------------------------------------------------

/** One measure, in the DESIGN §9 shape. `ratio` is always ours ÷ baseline. */
export interface Measure {
  bench: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  p95ms?: number;
  p99ms?: number;
  [extra: string]: unknown;
}

/** A measure before its ratio is computed (given `ratio` wins, e.g. for a target). */
export interface MeasureInput {
  bench: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio?: number;
  [extra: string]: unknown;
}

/** Collects a bench's measures: each is printed to stdout as one JSON line, all are written to bench-results/<name>.jsonl. */
export class Results {
  readonly lines: Measure[] = [];
  constructor(readonly name: string) {}

  add(m: MeasureInput): Measure {
    const line: Measure = {
      bench: m.bench,
      value: m.value,
      unit: m.unit,
      baseline: m.baseline,
      baselineValue: m.baselineValue,
      ratio: m.ratio ?? round(m.value / m.baselineValue, 2),
      ...Object.fromEntries(Object.entries(m).filter(([k]) => !['bench', 'value', 'unit', 'baseline', 'baselineValue', 'ratio'].includes(k))),
    };
    this.lines.push(line);
    process.stdout.write(JSON.stringify(line) + '\n');
    return line;
  }

  /** Writes this run's lines (replacing the previous run's) and returns the file path. */
  write(dir = path.resolve(__dirname, '..', 'bench-results')): string {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.name}.jsonl`);
    fs.writeFileSync(file, this.lines.map((l) => JSON.stringify(l)).join('\n') + (this.lines.length ? '\n' : ''));
    return file;
  }
}

// ---------------------------------------------------------------------------------------------
// Keep-alive HTTP load generator (worker thread)
// ---------------------------------------------------------------------------------------------

/** One request of a scenario. */
export interface HttpRequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A scenario module exports a factory `(args) => (i) => HttpRequestSpec`: the worker requires it
 * (through the swc hook) and asks it for request `i`. Statuses in `okStatuses` count as success.
 */
export interface ScenarioRef {
  module: string;
  export: string;
  args?: unknown;
}

export interface HttpLoadSpec {
  baseUrl: string;
  scenario: ScenarioRef;
  /** closed: `concurrency` clients back to back; open: `rate` requests per second on a fixed schedule. */
  mode: 'closed' | 'open';
  concurrency?: number;
  rate?: number;
  /** Open loop: requests beyond this many in flight are dropped (counted, not sent). */
  maxInFlight?: number;
  durationMs: number;
  warmupMs?: number;
  okStatuses?: number[];
}

type WorkerReply =
  { samples: Float64Array; seconds: number; errors: number; dropped: number; statuses: Record<string, number>; firstError?: string } | { fatal: string };

/** Runs one load in a fresh worker thread and returns its result. */
export function runHttpLoad(spec: HttpLoadSpec): Promise<LoadResult> {
  const register = path.resolve(__dirname, '..', 'hub', 'bin', 'register.js');
  const code = `require(${JSON.stringify(register)}); require(${JSON.stringify(__filename)});`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { loadSpec: spec } });
    let done = false;
    w.once('message', (m: WorkerReply) => {
      done = true;
      void w.terminate();
      if ('fatal' in m) reject(new Error(m.fatal));
      else resolve(summarize(m.samples, m.seconds, m));
    });
    w.once('error', (e) => {
      done = true;
      reject(e);
    });
    w.once('exit', (c) => {
      if (!done) reject(new Error(`load worker exited with code ${c}`));
    });
  });
}

function send(agent: http.Agent, base: URL, r: HttpRequestSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
    if (body) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = body.length;
    }
    const req = http.request({ agent, host: base.hostname, port: base.port, method: r.method, path: r.path, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    // A hub that stops answering fails the request instead of hanging the bench.
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer in 60 s: ${r.method} ${r.path}`)));
    req.end(body);
  });
}

async function workerMain(spec: HttpLoadSpec): Promise<WorkerReply> {
  const mod = (await import(spec.scenario.module)) as Record<string, (args: unknown) => (i: number) => HttpRequestSpec>;
  const factory = mod[spec.scenario.export];
  if (typeof factory !== 'function') return { fatal: `${spec.scenario.module} has no export ${spec.scenario.export}` };
  const next = factory(spec.scenario.args);
  const base = new URL(spec.baseUrl);
  const ok = new Set(spec.okStatuses ?? [200, 201]);
  const sockets = spec.mode === 'closed' ? spec.concurrency! : (spec.maxInFlight ?? 2000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  let i = 0;
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  const note = (status: number | string) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  const closed = async (ms: number, record: boolean) => {
    const lat: number[] = [];
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: spec.concurrency! }, async () => {
        while (performance.now() < end) {
          const r = next(i++);
          const t0 = performance.now();
          try {
            const status = await send(agent, base, r);
            if (!record) continue;
            note(status);
            if (ok.has(status)) lat.push(performance.now() - t0);
            else {
              errors++;
              firstError ??= `HTTP ${status} on ${r.method} ${r.path}`;
            }
          } catch (e) {
            if (!record) continue;
            errors++;
            note('neterr');
            firstError ??= (e as Error).message;
          }
        }
      }),
    );
    return { lat, seconds: (performance.now() - start) / 1000 };
  };

  // Open loop: request k is due at start + k/rate; its latency counts from that due time, so a
  // stalled server is charged for the requests that queued behind it (no coordinated omission).
  const open = async (ms: number, record: boolean) => {
    const lat: number[] = [];
    const rate = spec.rate!;
    const total = Math.floor((ms / 1000) * rate);
    const maxInFlight = spec.maxInFlight ?? 2000;
    let sent = 0;
    let inFlight = 0;
    let dropped = 0;
    const start = performance.now();
    let finish!: () => void;
    const allDone = new Promise<void>((r) => (finish = r));
    let settled = 0;
    const settle = () => {
      settled++;
      if (settled === total) finish();
    };
    const pump = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      while (sent < due) {
        const dueAt = start + (sent * 1000) / rate;
        sent++;
        if (inFlight >= maxInFlight) {
          dropped++;
          settle();
          continue;
        }
        inFlight++;
        const r = next(i++);
        send(agent, base, r).then(
          (status) => {
            inFlight--;
            if (record) {
              note(status);
              if (ok.has(status)) lat.push(performance.now() - dueAt);
              else {
                errors++;
                firstError ??= `HTTP ${status} on ${r.method} ${r.path}`;
              }
            }
            settle();
          },
          (e) => {
            inFlight--;
            if (record) {
              errors++;
              note('neterr');
              firstError ??= (e as Error).message;
            }
            settle();
          },
        );
      }
      if (sent < total) setTimeout(pump, Math.max(0, Math.min(1, start + (sent * 1000) / rate - performance.now())));
    };
    if (total === 0) finish();
    else pump();
    await allDone;
    // The window is the schedule's length: what did not finish in it shows as a lower achieved rate.
    return { lat, seconds: Math.max(ms, performance.now() - start) / 1000, dropped };
  };

  if (spec.warmupMs) {
    if (spec.mode === 'closed') await closed(spec.warmupMs, false);
    else await open(spec.warmupMs, false);
  }
  const r = spec.mode === 'closed' ? { ...(await closed(spec.durationMs, true)), dropped: 0 } : await open(spec.durationMs, true);
  agent.destroy();
  return { samples: Float64Array.from(r.lat), seconds: r.seconds, errors, dropped: r.dropped, statuses, firstError };
}

if (!isMainThread && parentPort && workerData && (workerData as { loadSpec?: HttpLoadSpec }).loadSpec) {
  const port = parentPort;
  workerMain((workerData as { loadSpec: HttpLoadSpec }).loadSpec).then(
    (reply) => port.postMessage(reply, 'samples' in reply ? [reply.samples.buffer as ArrayBuffer] : []),
    (e) => port.postMessage({ fatal: (e as Error).stack ?? String(e) }),
  );
}
