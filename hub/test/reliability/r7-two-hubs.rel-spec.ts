import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Agent } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import mysql from 'mysql2/promise';
import { freshMariaDb } from '../harness';
import { post, send } from '../http-client';
import { sleep, waitFor } from '../bus/bus-test-kit';
import { record } from './table';

const BIN = path.resolve(__dirname, '../../bin/hub.js');
const ready = !!process.env.TEST_DATABASE_URL && !!process.env.TEST_AMQP_URL;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  url: string;
  out: () => string;
  exited: Promise<number | null>;
}

/** One hub as its own process (so it can be SIGKILLed), started the production way: `loyalty-hub` from the command line. */
function startHub(env: Record<string, string>, port: number): Promise<Proc> {
  const child = spawn(process.execPath, [BIN], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Loyalty hub is running/.test(out)) {
        clearInterval(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, out: () => out, exited });
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`hub exited with ${code}: ${out}`));
    });
  });
}

/**
 * R7: two hubs on one MariaDB database and one RabbitMQ broker (a vhost of its own). Tills spread
 * sales over both; one hub is SIGKILLed mid-load; each till retries an unanswered sale with the
 * same Idempotency-Key against the survivor. Every sale must exist exactly once, every committed
 * event reach the broker, and the outbox relay and the scheduler's jobs continue on the survivor.
 */
(ready ? describe : describe.skip)('R7 two hubs, one killed under load [mariadb + rabbitmq]', () => {
  const vhost = `r7-${process.pid}-${randomBytes(3).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-r7-'));
  let fresh: { url: string; drop: () => Promise<void> };
  let amqpUrl: string;
  const hubs: Proc[] = [];

  beforeAll(async () => {
    const rabbitmqctl = (args: string[]) => execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'pipe' });
    rabbitmqctl(['add_vhost', vhost]);
    const base = new URL(process.env.TEST_AMQP_URL!);
    rabbitmqctl(['set_permissions', '-p', vhost, decodeURIComponent(base.username), '.*', '.*', '.*']);
    base.pathname = `/${encodeURIComponent(vhost)}`;
    amqpUrl = base.toString();
    fresh = await freshMariaDb();
  });
  afterAll(async () => {
    for (const h of hubs) h.child.kill('SIGKILL');
    await Promise.all(hubs.map((h) => h.exited));
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    spawnSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
  });

  it('R7: a hub killed mid-request loses no sale and no event; the relay and jobs continue on the survivor', async () => {
    const env = {
      DATABASE_URL: fresh.url,
      AMQP_URL: amqpUrl,
      HUB_SECRET: 'r'.repeat(40),
      DATA_DIR: dataDir,
      MIGRATE_ON_START: 'false',
      OUTBOX_POLL_MS: '50',
    };
    // The recipe: migrate as its own step; two runs at once take turns on the database lock.
    const migrations = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const c = spawn(process.execPath, [BIN, 'migrate'], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            c.stdout!.on('data', (d) => (out += d));
            c.stderr!.on('data', (d) => (out += d));
            c.on('exit', (code) => resolve({ code, out }));
          }),
      ),
    );
    expect(migrations.map((m) => m.code)).toEqual([0, 0]);
    expect(migrations.filter((m) => /^Applied/.test(m.out))).toHaveLength(1);

    const [pa, pb] = [await freePort(), await freePort()];
    const a = await startHub({ ...env, SEED_DEMO: 'true', PUBLIC_URL: `http://127.0.0.1:${pa}` }, pa);
    hubs.push(a);
    const b = await startHub({ ...env, SEED_DEMO: 'false', PUBLIC_URL: `http://127.0.0.1:${pb}` }, pb);
    hubs.push(b);
    const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8'));
    const auth = { authorization: `Bearer ${demo.terminalKey}` };
    const login = await fetch(`${b.url}/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const limits = await fetch(`${b.url}/v1/admin/business`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie, origin: b.url },
      body: JSON.stringify({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }),
    });
    expect(limits.status).toBe(200);

    // Every committed sale's event, as the broker delivers it.
    const conn = await connect(amqpUrl);
    const ch = await conn.createChannel();
    const probe = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(probe, 'loyalty.events', 'checkout.committed');
    const delivered = new Set<string>();
    await ch.consume(probe, (m) => m && delivered.add(JSON.parse(m.content.toString()).data.checkoutId), { noAck: true });

    const seeded = await mysql.createConnection(fresh.url);
    const [[{ n: demoCheckouts }]] = (await seeded.query('SELECT COUNT(*) AS n FROM checkouts')) as unknown as [[{ n: number }]];
    await seeded.end();
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const onA = new Set<string>();
    const phones = ['+79990000001', '+79990000002', '+79990000003', '+79990000004'];
    const sales: { key: string; body: unknown; id?: string; retries: number }[] = [];
    let killed = false;
    let stop = false;
    let n = 0;
    // A till sends to hub A or B (as a load balancer would) and, on a dropped connection or a 5xx,
    // retries the same key against the survivor until it has an answer.
    const till = async () => {
      while (!stop) {
        const i = n++;
        const sale: (typeof sales)[number] = {
          key: randomUUID(),
          body: { card: { phone: phones[i % 4] }, basket: { items: [{ sku: 'LATTE', qty: 1, unitPriceMinor: 25000, amountMinor: 25000 }] } },
          retries: 0,
        };
        sales.push(sale);
        let target = i % 2 === 0 && !killed ? a.url : b.url;
        for (;;) {
          if (target === a.url) onA.add(sale.key);
          try {
            const r = await post(`${target}/v1/pos/checkouts`, agent, { ...auth, 'idempotency-key': sale.key }, sale.body);
            if (r.status === 200 || r.status === 201) {
              sale.id = r.body.id;
              break;
            }
            if (r.status < 500) throw new Error(`sale refused: ${r.status} ${r.text}`);
          } catch (e) {
            if (/sale refused/.test((e as Error).message)) throw e;
          }
          sale.retries++;
          target = b.url;
          await sleep(50);
        }
      }
    };
    const tills = Array.from({ length: 8 }, till);
    // Kill hub A while it has sales in flight (not between them).
    await sleep(2500);
    await waitFor(() => sales.some((s) => !s.id && onA.has(s.key)), 'a sale in flight on hub A', 30_000);
    const beforeKill = sales.length;
    a.child.kill('SIGKILL');
    killed = true;
    const killedAt = new Date();
    expect(await a.exited).toBe(null);
    await sleep(2500);
    stop = true;
    await Promise.all(tills);
    agent.destroy();

    const db = await mysql.createConnection(fresh.url);
    try {
      const [[{ n: all }]] = (await db.query('SELECT COUNT(*) AS n FROM checkouts')) as unknown as [[{ n: number }]];
      const checkouts = Number(all) - Number(demoCheckouts);
      const ids = new Set(sales.map((s) => s.id));
      // The relay continues on the survivor: the outbox drains and every sale's event reaches the broker.
      await waitFor(
        async () => {
          const [[row]] = (await db.query('SELECT COUNT(*) AS n FROM outbox WHERE sentAt IS NULL')) as unknown as [[{ n: number }]];
          return Number(row.n) === 0 && [...ids].every((id) => delivered.has(id!));
        },
        'the survivor to publish every event',
        60_000,
      );
      // The scheduler continues on the survivor: it holds the relay's lease and renews a job's lease after the kill.
      const bPid = `:${b.child.pid}:`;
      await waitFor(
        async () => {
          const [rows] = (await db.query("SELECT name, holder, expiresAt FROM job_leases WHERE name IN ('outbox-relay', 'job:guest-imports')")) as unknown as [
            { name: string; holder: string; expiresAt: Date }[],
          ];
          const relay = rows.find((r) => r.name === 'outbox-relay');
          const job = rows.find((r) => r.name === 'job:guest-imports');
          return !!relay?.holder.includes(bPid) && !!job?.holder.includes(bPid) && new Date(job.expiresAt) > killedAt;
        },
        'the survivor to hold the relay and job leases',
        40_000,
      );
      const retried = sales.filter((s) => s.retries > 0).length;
      const held = ids.size === sales.length && Number(checkouts) === sales.length && sales.every((s) => s.id) && retried > 0;
      record({
        id: 'R7',
        check: 'two hubs on one MariaDB + RabbitMQ, one SIGKILLed under load (8 tills, same-key retries)',
        figure: `${sales.length} sales (${beforeKill} before the kill), ${retried} retried on the survivor; ${checkouts} checkouts, ${ids.size} distinct; ${delivered.size} committed events delivered, outbox drained; relay and job leases on the survivor`,
        backend: 'MariaDB + RabbitMQ',
        held,
      });
      expect(retried).toBeGreaterThan(0);
      expect(ids.size).toBe(sales.length);
      expect(Number(checkouts)).toBe(sales.length);
      expect((await send(`${b.url}/readyz`, new Agent(), 'GET', {})).status).toBe(200);
    } finally {
      await db.end();
      await conn.close().catch(() => undefined);
    }
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
