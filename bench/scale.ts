/**
 * `npm run bench -- scale [--seconds=10] [--concurrency=16]`: does a second hub add throughput?
 * Runs hubs as separate processes (`loyalty-hub`, as in production) on one database — MariaDB when
 * BENCH_DATABASE_URL is set (a fresh database is created in it), else one SQLite file — and measures
 * quotes (read path) and sale commits (write path) against: one hub; two hubs (the load split
 * evenly, as a load balancer would); one hub with HUB_WORKERS=2. Ratios are 2 hubs ÷ 1 and
 * HUB_WORKERS=2 ÷ 1 from the same run. For each run it prints where the CPU went (cores used by
 * every hub process, the database server and the load generator), so a ratio below the goal shows
 * its bottleneck: on a box with fewer cores than hubs + database + load, the box itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { describeLoad, log, numFlag, parseArgs, Results, round, runHttpLoad, type LoadResult } from './lib';

const BIN = path.resolve(__dirname, '../hub/bin/hub.js');
const SCENARIOS = path.resolve(__dirname, 'scenarios/scale.ts');
const TICK = 100; // /proc clock ticks per second (USER_HZ)

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface HubProc {
  child: ChildProcess;
  url: string;
}

function startHub(env: Record<string, string>): Promise<HubProc> {
  return freePort().then(
    (port) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN], {
          env: { ...process.env, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (out += d));
        const timer = setInterval(async () => {
          if (!/Loyalty hub is running/.test(out)) return;
          // With HUB_WORKERS the banner comes from worker 0; wait until the port answers ready.
          const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          if (r?.status !== 200) return;
          clearInterval(timer);
          resolve({ child, url: `http://127.0.0.1:${port}` });
        }, 200);
        child.on('exit', (code) => {
          clearInterval(timer);
          reject(new Error(`hub exited with ${code}: ${out}`));
        });
      }),
  );
}

async function stopHub(h: HubProc): Promise<void> {
  h.child.removeAllListeners('exit');
  const done = new Promise((r) => h.child.once('exit', r));
  h.child.kill('SIGTERM');
  await done;
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuOf(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Processes whose parent is `pid` (the cluster workers of a HUB_WORKERS primary). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function pidOf(name: string): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** Busy CPU seconds of the whole box (every process, anyone's), from /proc/stat. */
function boxBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((s, v) => s + v, 0);
  return (total - f[3]! - (f[4] ?? 0)) / TICK;
}

interface Run {
  load: LoadResult;
  rps: number;
  cores: Record<string, number>;
  /** Cores busy on the whole box during the run (ours and everyone else's). */
  boxBusy: number;
}

/** Closed-loop load split over the hubs' URLs, with the CPU each process used meanwhile. */
async function measure(name: string, hubs: HubProc[], scenario: string, args: object, seconds: number, concurrency: number): Promise<Run> {
  const procs: Record<string, number[]> = {};
  hubs.forEach((h, i) => {
    const kids = childrenOf(h.child.pid!);
    procs[`hub${i + 1}`] = [h.child.pid!, ...kids];
  });
  const db = pidOf('mariadbd');
  if (db && process.env.BENCH_DATABASE_URL) procs.mariadb = [db];
  const sampleCpu = () => Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, pids.reduce((s, p) => s + cpuOf(p), 0)]));
  const warm = Math.min(2000, seconds * 200);
  const before = sampleCpu();
  const load0 = process.cpuUsage();
  const box0 = boxBusySeconds();
  const t0 = Date.now();
  const loads = await Promise.all(
    hubs.map((h) =>
      runHttpLoad({
        baseUrl: h.url,
        scenario: { module: SCENARIOS, export: scenario, args },
        mode: 'closed',
        concurrency: Math.max(1, Math.round(concurrency / hubs.length)),
        durationMs: seconds * 1000,
        warmupMs: warm,
      }),
    ),
  );
  const wall = (Date.now() - t0) / 1000;
  const after = sampleCpu();
  const boxBusy = round((boxBusySeconds() - box0) / ((Date.now() - t0) / 1000), 2);
  const loadCpu = process.cpuUsage(load0);
  const cores: Record<string, number> = {};
  for (const k of Object.keys(after)) cores[k] = round((after[k]! - before[k]!) / wall, 2);
  cores.loadgen = round((loadCpu.user + loadCpu.system) / 1e6 / wall, 2);
  const rps = loads.reduce((s, l) => s + l.rps, 0);
  const load = loads[0]!;
  log(`${name}: ${round(rps)} req/s over ${hubs.length} hub URL(s); ${loads.map(describeLoad).join(' | ')}`);
  log(
    `${name}: cores used — ${Object.entries(cores)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; the whole box: ${boxBusy} of ${os.availableParallelism()} cores busy`,
  );
  return { load, rps, cores, boxBusy };
}

/** Where the time went, in one line: the busiest process and whether the box's cores were all in use. */
function bottleneck(r: Run): string {
  const total = Object.values(r.cores).reduce((s, v) => s + v, 0);
  const [top, topCores] = Object.entries(r.cores).sort((a, b) => b[1] - a[1])[0]!;
  const box = os.availableParallelism();
  if (r.boxBusy >= box * 0.85 && total < r.boxBusy * 0.6)
    return `box saturated by other processes: ${r.boxBusy} of ${box} cores busy, ours ${round(total, 2)}; the ratio measures the scheduler, not the hub`;
  const hubs = Object.entries(r.cores).filter(([k]) => k.startsWith('hub'));
  const perHub = hubs.map(([k, v]) => `${k} ${v}`).join(', ');
  if (total >= box * 0.85)
    return `box CPU-bound: ${round(total, 2)} of ${box} cores busy (${perHub}, mariadb ${r.cores.mariadb ?? 'n/a'}, load generator ${r.cores.loadgen}); more hubs cannot add throughput here`;
  if (hubs.some(([, v]) => v >= 0.9)) return `hub CPU-bound: ${perHub} (one core per hub process)`;
  return `not CPU-bound (${round(total, 2)} of ${box} cores); busiest ${top} ${topCores}: database time or locks`;
}

async function freshMariaDb(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const u = new URL(base);
  const name = `${u.pathname.slice(1) || 'loyalty'}_scale_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = await mysql.createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const seconds = numFlag(flags, 'seconds', 10);
  const concurrency = numFlag(flags, 'concurrency', 16);
  const results = new Results('scale');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-bench-scale-'));
  const maria = process.env.BENCH_DATABASE_URL ? await freshMariaDb(process.env.BENCH_DATABASE_URL) : undefined;
  const backend = maria ? 'mariadb' : 'sqlite';
  const env: Record<string, string> = { DATA_DIR: dataDir, HUB_SECRET: 's'.repeat(40), ...(maria ? { DATABASE_URL: maria.url } : {}) };
  const hubs: HubProc[] = [];
  try {
    log(`scale: backend ${backend}, ${seconds} s per run, ${concurrency} clients, ${os.availableParallelism()} cores`);
    const first = await startHub({ ...env, SEED_DEMO: 'true' });
    hubs.push(first);
    const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8'));
    // The demo's per-card fraud limits would refuse a bench's worth of sales on 24 cards.
    const login = await fetch(`${first.url}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    await fetch(`${first.url}/v1/admin/business`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie, origin: first.url },
      body: JSON.stringify({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }),
    });
    const args = { terminalKey: demo.terminalKey, guests: 24 };
    const scenarios = [
      ['quote', 'scaleQuote'],
      ['commit', 'scaleCommit'],
    ] as const;
    const one: Record<string, Run> = {};
    for (const [label, s] of scenarios) one[label] = await measure(`1 hub ${label}`, [first], s, args, seconds, concurrency);
    const second = await startHub({ ...env, SEED_DEMO: 'false' });
    hubs.push(second);
    for (const [label, s] of scenarios) {
      const two = await measure(`2 hubs ${label}`, [first, second], s, args, seconds, concurrency);
      results.add({
        bench: `scale.two-hubs-${label}`,
        value: round(two.rps),
        unit: 'req/s',
        baseline: `one-hub-${label}`,
        baselineValue: round(one[label]!.rps),
        backend,
        goal: 1.6,
        bottleneck: bottleneck(two),
        cores: two.cores,
        boxBusyCores: two.boxBusy,
        oneHubCores: one[label]!.cores,
      });
    }
    await stopHub(second);
    hubs.pop();
    await stopHub(first);
    hubs.pop();
    const clustered = await startHub({ ...env, SEED_DEMO: 'false', HUB_WORKERS: '2' });
    hubs.push(clustered);
    for (const [label, s] of scenarios) {
      const w2 = await measure(`HUB_WORKERS=2 ${label}`, [clustered], s, args, seconds, concurrency);
      results.add({
        bench: `scale.workers2-${label}`,
        value: round(w2.rps),
        unit: 'req/s',
        baseline: `one-hub-${label}`,
        baselineValue: round(one[label]!.rps),
        backend,
        bottleneck: bottleneck(w2),
        cores: w2.cores,
        boxBusyCores: w2.boxBusy,
      });
    }
  } finally {
    for (const h of hubs) await stopHub(h).catch(() => undefined);
    await maria?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  log(`wrote ${results.write()}`);
  return 0;
}
