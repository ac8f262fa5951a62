import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Agent } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Db } from '../../src/db/db';
import { post, send } from '../http-client';

const BIN = path.resolve(__dirname, '../../bin/hub.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8' });
}

function start(env: Record<string, string>): Promise<{ child: ChildProcess; out: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Loyalty hub is running/.test(out)) {
        clearInterval(timer);
        resolve({ child, out: () => out, exited });
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`hub exited with ${code}: ${out}`));
    });
  });
}

describe('operations (issue 17): migrate as its own step, readiness, graceful SIGTERM [sqlite]', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-ops-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses to serve a schema it does not know, `migrate` brings it current, /readyz and /livez answer apart', async () => {
    const data = path.join(dir, 'migrate');
    const port = await freePort();
    const env = { DATA_DIR: data, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, MIGRATE_ON_START: 'false' };
    const behind = run([], env);
    expect(behind.status).toBe(1);
    expect(behind.stderr).toMatch(/The database schema is behind this hub: \d+ migration\(s\) pending .*Run `loyalty-hub migrate` first/);

    const migrated = run(['migrate'], env);
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(/^Applied \d+ migration\(s\):\n {2}\S+/);
    expect(migrated.stdout).toContain('webhooks:'); // the connectors' migrations too
    const again = run(['migrate'], env);
    expect([again.status, again.stdout]).toEqual([0, 'The schema is up to date; nothing to apply.\n']);

    const hub = await start(env);
    try {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: { ok: true }, schema: { ok: true }, draining: false });
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    } finally {
      hub.child.kill('SIGTERM');
      expect(await hub.exited).toBe(0);
    }

    // A newer hub migrated the database: this one refuses, and `migrate` refuses too.
    const db = await Db.open({ sqlitePath: path.join(data, 'loyalty.sqlite') }, false);
    await db.ds.query('INSERT INTO schema_migrations (timestamp, name) VALUES (?, ?)', [Date.now(), 'FromTheFuture9999999999999']);
    await db.close();
    const newer = run([], env);
    expect(newer.status).toBe(1);
    expect(newer.stderr).toMatch(/The database schema is newer than this hub: .*FromTheFuture9999999999999/);
    const migrateNewer = run(['migrate'], env);
    expect(migrateNewer.status).toBe(1);
    expect(migrateNewer.stderr).toMatch(/^Migration failed: The database schema is newer than this hub/);
    expect(run(['frobnicate'], env).status).toBe(2);
  });

  it('SIGTERM under load: in-flight sales finish, the process exits 0, every sale lands exactly once and no event is left in the outbox', async () => {
    const data = path.join(dir, 'sigterm');
    const port = await freePort();
    const env = { DATA_DIR: data, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, OUTBOX_POLL_MS: '50' };
    const url = `http://127.0.0.1:${port}`;
    const first = await start(env);
    const demo = JSON.parse(fs.readFileSync(path.join(data, 'demo.json'), 'utf8'));
    const auth = { authorization: `Bearer ${demo.terminalKey}` };
    const lookup = async () => (await send(`${url}/v1/pos/cards/lookup?phone=%2B79990000001`, new Agent(), 'GET', auth)).body.card;
    // Lift the demo's per-card fraud limits: one card takes every sale here.
    const login = await fetch(`${url}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const limits = await fetch(`${url}/v1/admin/business`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie, origin: url },
      body: JSON.stringify({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }),
    });
    expect([limits.status, await limits.text()]).toEqual([200, expect.any(String)]);
    const before = await lookup();
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const sales: { key: string; body: unknown }[] = [];
    const answered = new Map<string, string>();
    let stop = false;
    const till = async () => {
      while (!stop) {
        const sale = {
          key: randomUUID(),
          body: { card: { phone: '+79990000001' }, basket: { items: [{ sku: 'LATTE', qty: 1, unitPriceMinor: 25000, amountMinor: 25000 }] } },
        };
        sales.push(sale);
        try {
          const r = await post(`${url}/v1/pos/checkouts`, agent, { ...auth, 'idempotency-key': sale.key }, sale.body);
          if (r.status === 200 || r.status === 201) answered.set(sale.key, r.body.id);
        } catch {
          // The listener closed under the till: it retries this key later.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const tills = Array.from({ length: 8 }, till);
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGTERM');
    const code = await first.exited;
    stop = true;
    await Promise.all(tills);
    agent.destroy();
    expect(code).toBe(0);
    expect(first.out()).not.toMatch(/did not finish in time/);
    expect(answered.size).toBeGreaterThan(0);

    // After the restart every sale is retried with its own key: answered ones replay the same checkout.
    const second = await start(env);
    try {
      const retry = new Agent({ keepAlive: true, maxSockets: 8 });
      const ids = new Set<string>();
      for (const s of sales) {
        const r = await post(`${url}/v1/pos/checkouts`, retry, { ...auth, 'idempotency-key': s.key }, s.body);
        expect([200, 201]).toContain(r.status);
        if (answered.has(s.key)) expect(r.body.id).toBe(answered.get(s.key));
        ids.add(r.body.id);
      }
      retry.destroy();
      expect(ids.size).toBe(sales.length);
      expect((await lookup()).visits - before.visits).toBe(sales.length);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    const db = await Db.open({ sqlitePath: path.join(data, 'loyalty.sqlite') }, false);
    const [unsent] = (await db.ds.query('SELECT COUNT(*) AS n FROM outbox WHERE sentAt IS NULL')) as { n: number }[];
    await db.close();
    expect(Number(unsent!.n)).toBe(0);
  });
});
