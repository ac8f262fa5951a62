import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { guardedHttp, isRefusedAddress, type Resolver } from '@loyalty/sdk';
import nock from 'nock';
import { FakeGoogleWallet } from '../../../fixtures/src/google/fake-google-wallet';
import { GoogleAccount } from '../../src/modules/wallet/wallet.entity';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { pngBomb } from '../security/bombs';
import { internalServer } from '../security/local-server';
import { cardLinks, pathOf } from '../wallet/wallet-fixtures';
import { dbLabel, record } from './table';

const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';
const ISSUER = '3388000000055555555';
const MB = 1024 * 1024;

/*
 * S5 (issue 19, the edges): SSRF targets, upload bombs, CSRF attempts and unsafe production starts,
 * each tried from outside as an attacker would; every row counts attempts and how many were accepted.
 */
describe(`S5 edges: SSRF, bombs, CSRF, production refusals [${backend}]`, () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    type: 'service_account',
    private_key_id: 'k5',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'wallet@s5.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  let t: TestHub;
  let b: TestBusiness;
  let url: string;
  let trap: Awaited<ReturnType<typeof internalServer>>;
  let inner: Awaited<ReturnType<typeof internalServer>>;
  let google: FakeGoogleWallet;

  beforeAll(async () => {
    inner = await internalServer();
    trap = await internalServer((_q, r) => {
      r.writeHead(302, { location: `${inner.url}/internal/admin` });
      r.end();
    });
    google = new FakeGoogleWallet({ issuerId: ISSUER, account });
    google.install();
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test' } });
    b = await t.business('S5 Café');
    url = await t.listen();
  });
  afterAll(async () => {
    await t.close();
    google.uninstall();
    await trap.close();
    await inner.close();
  });

  const admin = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', p: string) => t.http[method](p).set('Cookie', b.ownerCookie);

  it('S5a: SSRF targets through the Google key upload, the anonymous card page, webhook endpoints and connectors’ ctx.http', async () => {
    const outcomes: { target: string; accepted: boolean }[] = [];
    // 1. Service-account keys naming an internal token_uri.
    for (const token_uri of [
      `${trap.url}/token`,
      'http://169.254.169.254/computeMetadata/v1/token',
      `http://localhost:${trap.port}/token`,
      `http://[::1]:${trap.port}/`,
    ]) {
      const res = await admin('put', '/v1/admin/wallet/google').send({ issuerId: ISSUER, serviceAccount: JSON.stringify({ ...account, token_uri }) });
      outcomes.push({ target: `google key token_uri ${token_uri}`, accepted: res.status === 200 });
    }
    // 2. A key stored by an older hub with an internal token_uri, triggered anonymously from the card page.
    const repo = t.hub.db.manager.getRepository(GoogleAccount);
    await repo.save(
      repo.create({
        businessId: b.businessId,
        issuerId: ISSUER,
        clientEmail: account.client_email,
        keySealed: t.hub.secrets.seal(JSON.stringify({ ...account, token_uri: `${trap.url}/token` })),
      }),
    );
    const l = loyalty(t, b);
    const program = await l.program({ name: 'S5 points', rules: { kind: 'bonus', accrualPercent: 5 }, levels: [{ code: 'base', name: 'Base', threshold: 0 }] });
    const { card } = await l.guestWithCard(program.id);
    const links = await cardLinks(t, b, card.id);
    await t.http.get(pathOf(links.googleSaveUrl!));
    outcomes.push({ target: 'card page → stored token_uri 127.0.0.1 (302 → internal)', accepted: trap.hits.length > 0 || inner.hits.length > 0 });
    // 3. Webhook endpoints aimed inside (the guard is on: no CONNECTORS_ALLOW_PRIVATE).
    await admin('post', '/v1/admin/integrations').send({ connectorId: 'webhooks' });
    for (const target of [`${trap.url}/hook`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.7/hook', `http://localhost:${trap.port}/`]) {
      const res = await admin('post', '/v1/admin/integrations/webhooks/endpoints').send({ url: target, eventTypes: ['checkout.*'] });
      outcomes.push({ target: `webhook endpoint ${target}`, accepted: res.status === 201 });
    }
    // 4. A connector's default ctx.http (the SDK's guarded client): literals, local names, DNS answers, redirects.
    const resolver: Resolver = async (h) => (h === 'rebind.example.com' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.8.7', family: 4 }]);
    const ax = guardedHttp({ resolver });
    nock.enableNetConnect(); // names are answered by the resolver above, never by DNS; the guard must stop them
    for (const target of [
      trap.url,
      `http://localhost:${trap.port}`,
      `http://[::ffff:127.0.0.1]:${trap.port}`,
      'http://169.254.169.254/',
      `http://rebind.example.com:${trap.port}/`,
      'http://mixed.example.com/',
    ]) {
      const refused = await ax.get(target).then(
        () => false,
        (e) => isRefusedAddress(e),
      );
      outcomes.push({ target: `ctx.http ${target}`, accepted: !refused });
    }
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
    const attackHits = trap.hits.length + inner.hits.length;
    // The redirect case: the first hop (a reachable receiver) answers 302 to an internal URL.
    const hitsBefore = inner.hits.length;
    await guardedHttp({ allowPrivate: true })
      .post(`${trap.url}/token`, 'x', { maxRedirects: 5 })
      .catch(() => undefined);
    outcomes.push({ target: 'redirect 302 → internal URL followed', accepted: inner.hits.length > hitsBefore });
    const accepted = outcomes.filter((o) => o.accepted);
    record({
      id: 'S5a',
      check: 'SSRF: internal token_uri on the Google key, the anonymous card page, webhook endpoints, connectors’ ctx.http, redirects',
      figure: `${outcomes.length} targets tried, ${accepted.length} accepted; internal services hit ${attackHits} times, redirect targets ${inner.hits.length}`,
      backend: dbLabel(),
      held: accepted.length === 0 && attackHits === 0 && inner.hits.length === 0,
    });
    expect(accepted).toEqual([]);
    expect([attackHits, inner.hits.length]).toEqual([0, 0]);
  });

  it('S5b: upload bombs (PNG declaring 11000×11000, oversized CSV, service-account key, device log) refused; memory and /healthz hold', async () => {
    const program = await loyalty(t, b).program({
      name: 'S5 bomb',
      rules: { kind: 'bonus', accrualPercent: 5 },
      levels: [{ code: 'base', name: 'Base', threshold: 0 }],
    });
    const bomb = await pngBomb(11000, 11000);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const [png, health] = await Promise.all([
      fetch(`${url}/v1/admin/wallet/designs/${program.id}/images/strip`, {
        method: 'PUT',
        headers: { cookie: b.ownerCookie, 'content-type': 'application/json' },
        body: JSON.stringify({ contentBase64: bomb.toString('base64') }),
      }),
      fetch(`${url}/healthz`),
    ]);
    clearInterval(sampler);
    loop.disable();
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = Math.round((peak - rssBefore) / MB);
    const stallMs = Math.round(loop.max / 1e6);
    const csv = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/v1/admin/imports?dryRun=true`, {
        method: 'POST',
        headers: { cookie: b.ownerCookie, 'content-type': 'text/csv', 'content-length': String(101 * MB) },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('phone\n+79990000001\n');
    });
    const key = await admin('put', '/v1/admin/wallet/google').send({ issuerId: ISSUER, serviceAccount: { ...account, padding: 'x'.repeat(60_000) } });
    const log = await t.http.post('/v1/wallet/apple/v1/log').send({ logs: Array.from({ length: 15 }, () => 'z'.repeat(1300)) });
    const statuses = { png: png.status, csv, key: key.status, log: log.status };
    const accepted = Object.values(statuses).filter((s) => s < 400).length;
    record({
      id: 'S5b',
      check: 'upload bombs: 115 KB PNG declaring 11000×11000, 101 MB CSV, 60 KB key file, 20 KB device log',
      figure: `4 bombs uploaded, ${accepted} accepted (${Object.entries(statuses)
        .map(([k, s]) => `${k} ${s}`)
        .join(', ')}); RSS +${growthMb} MB, event-loop stall max ${stallMs} ms, /healthz ${health.status}`,
      backend: dbLabel(),
      held: accepted === 0 && png.status === 422 && health.status === 200 && growthMb < 150,
    });
    expect(statuses).toEqual({ png: 422, csv: 413, key: 400, log: 413 });
    expect(health.status).toBe(200);
    expect(growthMb).toBeLessThan(150);
  });

  it('S5c: every cookie-authenticated state change from another origin is refused (403 csrf_origin_mismatch)', async () => {
    const doc = (await t.http.get('/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const variants: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'https://shop.hub.example.test' },
      { origin: 'null' },
    ];
    const accepted: string[] = [];
    let attempts = 0;
    let i = 0;
    for (const [p, ops] of Object.entries(doc.paths)) {
      if (!/^\/v1\/(admin|scanner)\//.test(p)) continue;
      for (const method of Object.keys(ops)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
        const target = p.replace(/\{[A-Za-z]+\}/g, '01a211f1-0000-7000-8000-000000000000');
        const headers = variants[i++ % variants.length]!;
        const res = await t.http[method as 'post'](target).set('Cookie', b.ownerCookie).set(headers);
        attempts++;
        if (res.status !== 403 || res.body.code !== 'csrf_origin_mismatch') accepted.push(`${method.toUpperCase()} ${p} → ${res.status}`);
      }
    }
    // The console itself still works: same-origin writes pass.
    const ok = await admin('post', '/v1/admin/terminals')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ name: 'S5 till', locationId: b.locationId, scopes: ['pos'] });
    record({
      id: 'S5c',
      check: 'CSRF: every POST/PUT/PATCH/DELETE of the console and scanner with the owner’s cookie from a foreign origin (bodyless included)',
      figure: `${attempts} attempts, ${accepted.length} accepted; same-origin console write ${ok.status}`,
      backend: dbLabel(),
      held: accepted.length === 0 && attempts > 20 && ok.status === 201,
    });
    expect(accepted).toEqual([]);
    expect(attempts).toBeGreaterThan(20);
    expect(ok.status).toBe(201);
  });

  it('S5d: a production start with unsafe settings is refused with one line naming the setting', () => {
    const bin = path.resolve(__dirname, '../../bin/hub.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's5-prod-'));
    const base = { ...process.env, NODE_ENV: 'production', DATA_DIR: dir, PORT: '18080', LOG_LEVEL: 'warn' };
    const secret = { HUB_SECRET: 'p'.repeat(40) };
    const cases: [string, Record<string, string>][] = [
      ['HUB_SECRET', {}],
      ['SMS_PROVIDER', { ...secret }],
      ['METRICS_TOKEN', { ...secret, SMS_CONSOLE_ALLOWED: 'true' }],
      ['METRICS_PORT', { ...secret, SMS_CONSOLE_ALLOWED: 'true', METRICS_PORT: '18080' }],
    ];
    const results = cases.map(([setting, env]) => {
      const r = spawnSync(process.execPath, [bin], { env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
      const line = r.stderr.trim();
      return { setting, refused: r.status === 1 && line.startsWith(`Invalid setting ${setting}:`) && !line.includes('\n') };
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const refused = results.filter((r) => r.refused).length;
    record({
      id: 'S5d',
      check: 'production refusals: no HUB_SECRET, SMS_PROVIDER=console, /metrics unguarded, METRICS_PORT = PORT',
      figure: `${results.length} unsafe starts, ${refused} refused with one line naming the setting, ${results.length - refused} started`,
      backend: dbLabel(),
      held: refused === results.length,
    });
    expect(results).toEqual(cases.map(([setting]) => ({ setting, refused: true })));
  });
});
