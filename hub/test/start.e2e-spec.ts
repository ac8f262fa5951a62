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
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const login = await fetch(`http://127.0.0.1:${port}/v1/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }) });
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
      const login = await fetch(`http://127.0.0.1:${port}/v1/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: demo.ownerEmail, password: demo.ownerPassword }) });
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

  it('stops with one line naming a bad setting', () => {
    const r = spawnSync(process.execPath, [BIN], { env: { ...process.env, DATA_DIR: dataDir, PORT: 'eighty' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('Invalid setting PORT: Invalid input: expected number, received NaN');
  });
});
