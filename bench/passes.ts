/**
 * `npm run bench -- passes [--quick] [--seconds=5] [--pushes=100k]`
 *
 * - `passes.sign`: Apple passes made and signed per second on one core, through the real service
 *   path (`WalletService.applePass`: card, program, design, images, pass.json, passkit-generator,
 *   signature). Baseline, in the same run: the same path with stock passkit-generator signing
 *   (node-forge's pure-JavaScript RSA). Target ≥ 200/s/core. Counted per CPU-second of the
 *   process, so a busy shared machine does not skew it; the wall-clock rate is reported too.
 * - `passes.apns-fanout`: seconds to push a design change to 100k registered devices over one
 *   HTTP/2 connection to a local fake APNs (TLS, ES256 token checked), which runs in a worker thread
 *   so it does not share the hub's event loop. Baseline: the target of 60 s.
 *
 * Runs on SQLite in a temporary folder; prints one JSON line per measure and writes them to
 * bench-results/passes.jsonl (DESIGN §9).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pino from 'pino';
import { loadConfig } from '../hub/src/config';
import { Hub } from '../hub/src/hub';
import { MemoryBus } from '../hub/src/bus/memory-bus';
import { systemActor, type Ctx } from '../hub/src/shared/context';
import { newId } from '../hub/src/shared/ids';
import { useNativeRsa } from '../hub/src/modules/wallet/wallet.apple';
import { WalletPass, WalletRegistration } from '../hub/src/modules/wallet/wallet.entity';
import { makeAppleTestCerts, type AppleTestCerts } from '../fixtures/src/apple/certs';
import { FakeApns } from '../fixtures/src/apple/fake-apns';
import { log, numFlag, parseArgs, Results, round } from './lib';

const PASS_TYPE = 'pass.com.example.bench';
const TEAM = 'TEAMID1234';

// ---------------------------------------------------------------------------------------------
// The fake APNs in a worker thread
// ---------------------------------------------------------------------------------------------

type ApnsMsg = { wait: number } | { stats: true };

if (!isMainThread && workerData?.fakeApns) {
  const { tls, key } = workerData.fakeApns as { tls: { key: string; cert: string }; key: { keyId: string; teamId: string; keyPem: string } };
  const apns = new FakeApns({ tls, keys: [key], topic: PASS_TYPE });
  apns.record = false;
  void apns.start().then((url) => parentPort!.postMessage({ url }));
  parentPort!.on('message', (m: ApnsMsg) => {
    if ('wait' in m) {
      void apns.waitForPushes(m.wait, 600_000).then(
        () => parentPort!.postMessage({ reached: apns.accepted, connections: apns.connections, violations: apns.violations.length }),
        (e: Error) => parentPort!.postMessage({ error: e.message }),
      );
    }
  });
}

function startApnsWorker(
  certs: AppleTestCerts,
): Promise<{ url: string; waitFor: (n: number) => Promise<{ reached: number; connections: number; violations: number }>; stop: () => Promise<void> }> {
  const register = path.resolve(__dirname, '..', 'hub', 'bin', 'register.js');
  const w = new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(__filename)});`, {
    eval: true,
    workerData: {
      fakeApns: { tls: { key: certs.tlsKeyPem, cert: certs.tlsCertPem }, key: { keyId: certs.apnsKeyId, teamId: TEAM, keyPem: certs.apnsKeyPem } },
    },
  });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (m: { url: string }) =>
      resolve({
        url: m.url,
        waitFor: (n) =>
          new Promise((res, rej) => {
            w.once('message', (r: { reached: number; connections: number; violations: number; error?: string }) =>
              r.error ? rej(new Error(r.error)) : res(r),
            );
            w.postMessage({ wait: n });
          }),
        stop: async () => {
          await w.terminate();
        },
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

async function openHub(dir: string, certs: AppleTestCerts, apnsUrl: string): Promise<{ hub: Hub; ctx: Ctx; programId: string; cardIds: string[] }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    JOBS_ENABLED: 'false',
    PUBLIC_URL: 'https://hub.example.test',
    APPLE_WWDR_CERT_FILE: certs.wwdrFile,
    APNS_HOST: apnsUrl,
    APNS_CA_FILE: certs.tlsCertFile,
  });
  const hub = await Hub.open({ config, database: { sqlitePath: path.join(dir, 'bench.sqlite') }, bus: new MemoryBus(), log: pino({ level: 'silent' }), hubSecret: 'bench-secret-'.padEnd(48, 'x') });
  await hub.bus.start();
  const { business } = await hub.services.tenants.createBusiness({
    name: 'Bench Coffee',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    owner: { email: `bench-${Date.now()}@example.com`, name: 'Owner', password: 'bench-password-1' },
  });
  const ctx: Ctx = { businessId: business.id, actor: systemActor('bench') };
  await hub.services.tenants.createLocation(ctx, { name: 'Arbat', latitude: 55.7522, longitude: 37.5929 });
  await hub.services.wallet.setAppleAccount(ctx, {
    certificatePem: certs.signerCertPem,
    privateKeyPem: certs.signerKeyPem,
    apnsKeyPem: certs.apnsKeyPem,
    apnsKeyId: certs.apnsKeyId,
  });
  const program = await hub.services.programs.create(ctx, {
    name: 'Coffee points',
    rules: {
      kind: 'bonus',
      accrualPercent: 5,
      pointValueMinor: 100,
      maxRedeemPercent: 100,
      minCheckMinor: 0,
      excluded: { skus: [], categories: [], noEarn: true, noRedeem: true },
      pointsPartEarns: false,
      rounding: 'floor',
      pendingDays: 0,
      expiryDays: null,
    },
    levels: [{ code: 'base', name: 'Base', threshold: 0 }],
    levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    welcomeBonusPoints: 100,
    active: true,
  });
  await hub.services.wallet.putDesign(ctx, program.id, {
    colors: { background: '#1E66F5', foreground: '#FFFFFF', label: '#DCE6FF' },
    back: { rules: 'Bench rules', extra: [] },
  });
  await hub.services.wallet.settle();
  const cardIds: string[] = [];
  for (let i = 0; i < 200; i++) {
    const { card } = await hub.services.guests.register(ctx, {
      phone: `+7999${String(5_000_000 + i).padStart(7, '0')}`,
      name: `Guest ${i}`,
      programId: program.id,
    });
    cardIds.push(card!.id);
  }
  return { hub, ctx, programId: program.id, cardIds };
}

/**
 * Passes made and signed through the service for about `seconds`: per second of CPU time used by
 * this process (= per core: the path is single-threaded; the machine may be shared) and per second
 * of wall time.
 */
async function signRate(hub: Hub, ctx: Ctx, cardIds: string[], seconds: number): Promise<{ rate: number; wallRate: number; n: number; bytes: number }> {
  let n = 0;
  let bytes = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - t0 < seconds * 1000) {
    const p = await hub.services.wallet.applePass(ctx, cardIds[n % cardIds.length]!);
    bytes += p.body.length;
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { rate: n / cpuSeconds, wallRate: n / ((performance.now() - t0) / 1000), n, bytes: Math.round(bytes / n) };
}

/** `count` passes of the program, each registered by one device (bulk rows, as 100k real installs would leave). */
async function seedRegistrations(hub: Hub, ctx: Ctx, programId: string, count: number): Promise<void> {
  const now = new Date();
  const chunk = 500;
  for (let i = 0; i < count; i += chunk) {
    const passes: Partial<WalletPass>[] = [];
    const regs: Partial<WalletRegistration>[] = [];
    for (let k = i; k < Math.min(count, i + chunk); k++) {
      const serial = newId();
      passes.push({
        id: newId(),
        businessId: ctx.businessId,
        cardId: serial,
        programId,
        platform: 'apple',
        serial,
        typeId: PASS_TYPE,
        touchedAt: now,
        lastModified: now,
        notifyLog: null,
      });
      regs.push({
        id: newId(),
        businessId: ctx.businessId,
        cardId: serial,
        deviceLibraryId: `device${k}`,
        passTypeId: PASS_TYPE,
        serial,
        pushToken: k.toString(16).padStart(64, '0'),
      });
    }
    await hub.db.transaction(async (tx) => {
      await tx.getRepository(WalletPass).insert(passes);
      await tx.getRepository(WalletRegistration).insert(regs);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const quick = flags.quick === true;
  const seconds = numFlag(flags, 'seconds', quick ? 2 : 5);
  const pushes = numFlag(flags, 'pushes', quick ? 10_000 : 100_000);
  const results = new Results('passes');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-passes-'));
  log('making test certificates (openssl)');
  const certs = makeAppleTestCerts({ passTypeId: PASS_TYPE, teamId: TEAM });
  const apns = await startApnsWorker(certs);
  const { hub, ctx, programId, cardIds } = await openHub(dir, certs, apns.url);
  try {
    // ---- passes.sign ----
    log('warming up');
    await signRate(hub, ctx, cardIds, 0.5);
    useNativeRsa(false);
    log(`baseline: stock passkit-generator (node-forge RSA), ${Math.max(1, seconds / 2)} s`);
    const base = await signRate(hub, ctx, cardIds, Math.max(1, seconds / 2));
    useNativeRsa(true);
    log(`ours: passkit-generator with native RSA, ${seconds} s`);
    const ours = await signRate(hub, ctx, cardIds, seconds);
    results.add({
      bench: 'passes.sign',
      value: round(ours.rate, 1),
      unit: 'passes/s/core',
      baseline: 'passkit-generator+node-forge-rsa',
      baselineValue: round(base.rate, 1),
      target: 200,
      passes: ours.n,
      wallPassesPerSecond: round(ours.wallRate, 1),
      avgBytes: ours.bytes,
      per: 'cpu-second',
    });

    // ---- passes.apns-fanout ----
    log(`seeding ${pushes} registered devices`);
    await seedRegistrations(hub, ctx, programId, pushes);
    log(`fan-out of a design change to ${pushes} devices`);
    const program = await hub.services.programs.get(ctx, programId);
    const t0 = performance.now();
    const [sent, reached] = await Promise.all([hub.services.wallet.refreshProgram(ctx, program), apns.waitFor(pushes)]);
    const secs = (performance.now() - t0) / 1000;
    const per100k = (secs * 100_000) / pushes;
    results.add({
      bench: 'passes.apns-fanout',
      value: round(per100k, 2),
      unit: 's/100k pushes',
      seconds: round(per100k, 2),
      baseline: 'target-60s',
      baselineValue: 60,
      pushes,
      measuredSeconds: round(secs, 2),
      accepted: sent,
      connections: reached.connections,
      violations: reached.violations,
      pushesPerSecond: round(pushes / secs, 0),
    });
    const file = results.write();
    log(`wrote ${path.relative(process.cwd(), file)}`);
    return 0;
  } finally {
    await hub.stop();
    await apns.stop();
    certs.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
