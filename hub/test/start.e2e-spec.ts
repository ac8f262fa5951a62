import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freshMariaDb } from './harness';

const BIN = path.resolve(__dirname, '../bin/hub.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [BIN], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Loyalty hub is running/.test(out)) {
        clearInterval(timer);
        resolve({ child, out: () => out });
      }
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`hub exited with ${code}: ${out}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('npm start (embedded mode, as the README says)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('seeds a demo business on first start, prints working logins and curl, reuses the data on the second start', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };
    const first = await start(env);
    try {
      const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8'));
      expect(first.out()).toContain(demo.ownerPassword);
      expect(first.out()).toContain(demo.terminalKey);
      // No SMS provider in the embedded default: the banner says guests cannot finish an SMS registration, as the console does.
      expect(first.out()).toContain(
        'SMS           : OFF for guests. No SMS provider is configured (SMS_PROVIDER): verification codes reach no phone, so no guest can finish registering',
      );
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const login = await fetch(`http://127.0.0.1:${port}/v1/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
      });
      expect(login.status).toBe(200);
      // The printed curl line works.
      const curl = spawnSync('sh', ['-c', demo.curl], { encoding: 'utf8' });
      expect(JSON.parse(curl.stdout).card.kind).toBe('bonus');
      expect(fs.statSync(path.join(dataDir, 'hub-secret')).mode & 0o077).toBe(0);
    } finally {
      expect(await stop(first.child)).toBe(0);
    }
    const second = await start(env);
    try {
      expect(second.out()).not.toContain('demo business seeded');
      const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8'));
      const login = await fetch(`http://127.0.0.1:${port}/v1/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
      });
      expect(login.status).toBe(200);
    } finally {
      await stop(second.child);
    }
  });

  (process.env.TEST_DATABASE_URL ? it : it.skip)('DATABASE_URL=mysql://… npm start migrates an empty MariaDB database and serves [mariadb]', async () => {
    const fresh = await freshMariaDb();
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-start-maria-'));
    try {
      const hub = await start({ DATA_DIR: dir, PORT: String(port), DATABASE_URL: fresh.url, HUB_SECRET: 'x'.repeat(40) });
      try {
        const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { database: { kind: string; ok: boolean } };
        expect(health.database).toEqual({ ok: true, kind: 'mysql' });
        const demo = JSON.parse(fs.readFileSync(path.join(dir, 'demo.json'), 'utf8'));
        const r = await fetch(`http://127.0.0.1:${port}/v1/pos/terminal`, { headers: { authorization: `Bearer ${demo.terminalKey}` } });
        expect(r.status).toBe(200);
        expect(fs.existsSync(path.join(dir, 'hub-secret'))).toBe(false);
      } finally {
        await stop(hub.child);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await fresh.drop();
    }
  });

  describe('NODE_ENV=production (issue 19: safe defaults)', () => {
    const prod = { NODE_ENV: 'production', HUB_SECRET: 'p'.repeat(40) };

    it('refuses to start with the console SMS provider, then without a guard on /metrics, naming the setting', () => {
      const run = (env: Record<string, string>) =>
        spawnSync(process.execPath, [BIN], { env: { ...process.env, DATA_DIR: path.join(dataDir, 'refused'), PORT: '0', ...prod, ...env }, encoding: 'utf8' });
      const sms = run({});
      expect(sms.status).toBe(1);
      expect(sms.stderr.trim()).toMatch(
        /^Invalid setting SMS_PROVIDER: console writes verification codes to the log in clear text;[^\n]*SMS_CONSOLE_ALLOWED=true[^\n]*$/,
      );
      const metrics = run({ SMS_CONSOLE_ALLOWED: 'true' });
      expect(metrics.status).toBe(1);
      expect(metrics.stderr.trim()).toMatch(/^Invalid setting METRICS_TOKEN: in production \/metrics needs a bearer token[^\n]*METRICS_PORT[^\n]*$/);
      expect(fs.existsSync(path.join(dataDir, 'refused', 'loyalty.sqlite'))).toBe(false);
    });

    it('seeds no demo unless SEED_DEMO=true, never prints credentials, keeps DATA_DIR and its files private, serves metrics only on METRICS_PORT', async () => {
      const dir = path.join(dataDir, 'prod'); // created by the hub
      const [port, metricsPort] = [await freePort(), await freePort()];
      const env = {
        ...prod,
        SMS_CONSOLE_ALLOWED: 'true',
        METRICS_PORT: String(metricsPort),
        DATA_DIR: dir,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      };
      const bare = await start(env);
      try {
        expect(fs.existsSync(path.join(dir, 'demo.json'))).toBe(false);
        expect(bare.out()).not.toMatch(/Login|Terminal key|lk_/);
        expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
        for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('loyalty.sqlite')))
          expect([f, fs.statSync(path.join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
        expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('http_request_duration_seconds');
      } finally {
        expect(await stop(bare.child)).toBe(0);
      }
      const seeded = await start({ ...env, SEED_DEMO: 'true' });
      try {
        const demo = JSON.parse(fs.readFileSync(path.join(dir, 'demo.json'), 'utf8'));
        expect(seeded.out()).toContain('demo.json');
        expect(seeded.out()).not.toContain(demo.ownerPassword);
        expect(seeded.out()).not.toContain(demo.terminalKey);
        expect(fs.statSync(path.join(dir, 'demo.json')).mode & 0o777).toBe(0o600);
        const login = await fetch(`http://127.0.0.1:${port}/v1/admin/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }),
        });
        expect(login.status).toBe(200);
      } finally {
        expect(await stop(seeded.child)).toBe(0);
      }
    });
  });

  it('stops with one line naming a bad setting', () => {
    const r = spawnSync(process.execPath, [BIN], { env: { ...process.env, DATA_DIR: dataDir, PORT: 'eighty' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('Invalid setting PORT: Invalid input: expected number, received NaN');
  });
});
