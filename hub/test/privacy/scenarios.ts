import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { maskPhone } from '../../src/shared/privacy';
import type { Db } from '../../src/db/db';
import type { FakeSmsRu } from '../../../fixtures/src/sms/fake-smsru';
import type { TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';

/*
 * The guest-privacy scenarios of issue 19, shared by the e2e specs (both backends) and the
 * reliability table (S7). Each drives the real hub through its HTTP API and returns its figures.
 */

export const SMS_API_ID = 'A1B2C3D4-PRIVACY-TEST';
/** Test hub settings: SMS.ru (a nock fake), client addresses from X-Forwarded-For, private webhook targets. */
export const privacyEnv = {
  SMS_PROVIDER: 'smsru',
  SMSRU_API_ID: SMS_API_ID,
  TRUST_PROXY: '1',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  PUBLIC_URL: 'https://hub.example.test',
};

export async function makeForm(t: TestHub, b: TestBusiness, slug: string, extra: Record<string, unknown> = {}): Promise<{ id: string; programId: string }> {
  const l = loyalty(t, b);
  const p = await l.program({ name: `Program ${slug}`, rules: { kind: 'bonus', accrualPercent: 5 } });
  const res = await l.admin('post', '/v1/admin/engagement/forms').send({
    programId: p.id,
    slug,
    title: 'Join',
    fields: { name: 'optional', birthday: 'hidden', email: 'optional' },
    consentText: 'I agree to the processing of my personal data.',
    ...extra,
  });
  if (res.status !== 201) throw new Error(`form: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, programId: p.id };
}

export interface PumpingFigures {
  attempts: number;
  accepted: number;
  smsSent: number;
  statuses: Record<string, number>;
}

const tally = (codes: string[]) => codes.reduce<Record<string, number>>((m, c) => ((m[c] = (m[c] ?? 0) + 1), m), {});

/** `n` code requests to `n` different phones from one address, all at once. */
export async function pumpFromOneIp(t: TestHub, slug: string, sms: FakeSmsRu, n: number, ip = '203.0.113.7', phoneBase = 79260000000): Promise<PumpingFigures> {
  const before = sms.sent.length;
  const res = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      t.http
        .post(`/v1/public/forms/${slug}/sms-codes`)
        .set('X-Forwarded-For', ip)
        .send({ phone: `+${phoneBase + i}` }),
    ),
  );
  const codes = res.map((r) => (r.status === 201 ? '201' : `${r.status} ${r.body.code}`));
  return { attempts: n, accepted: res.filter((r) => r.status === 201).length, smsSent: sms.sent.length - before, statuses: tally(codes) };
}

/** `n` code requests to `n` phones from `n` addresses (a botnet), all at once. */
export async function pumpFromManyIps(t: TestHub, slug: string, sms: FakeSmsRu, n: number, phoneBase = 79270000000): Promise<PumpingFigures> {
  const before = sms.sent.length;
  const res = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      t.http
        .post(`/v1/public/forms/${slug}/sms-codes`)
        .set('X-Forwarded-For', `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`)
        .send({ phone: `+${phoneBase + i}` }),
    ),
  );
  const codes = res.map((r) => (r.status === 201 ? '201' : `${r.status} ${r.body.code}`));
  return { attempts: n, accepted: res.filter((r) => r.status === 201).length, smsSent: sms.sent.length - before, statuses: tally(codes) };
}

export interface EnumerationFigures {
  probes: number;
  /** Probes whose answer (status and body) differed from the answer for a phone never seen. */
  distinguishable: number;
  /** Card links that reached the prober (in an answer) for a phone that was not theirs. */
  linksLeaked: number;
  detail: string[];
}

/**
 * An attacker probes a page without SMS verification and a page with it, with a registered phone, a
 * blacklisted one and fresh ones, and compares the answers to the answer for a fresh phone.
 */
export async function probeEnumeration(t: TestHub, b: TestBusiness, noSmsSlug: string, smsSlug: string): Promise<EnumerationFigures> {
  const l = loyalty(t, b);
  const registered = '+79281110001';
  const blacklisted = '+79281110002';
  const cardForm = await t.http.get(`/v1/public/forms/${noSmsSlug}`).expect(200);
  const programs = (await l.admin('get', '/v1/admin/engagement/forms')).body as { slug: string; programId: string }[];
  const programId = programs.find((f) => f.slug === noSmsSlug)!.programId;
  expect(cardForm.body.smsVerification).toBe(false);
  await l.admin('post', '/v1/admin/guests').send({ phone: registered, name: 'Real Owner', programId }).expect(201);
  await l.admin('post', '/v1/admin/blacklist').send({ phone: blacklisted, reason: 'fraud' }).expect(201);
  const shape = (r: { status: number; body: unknown }) => JSON.stringify([r.status, r.body]);
  const detail: string[] = [];
  let probes = 0;
  let distinguishable = 0;
  let linksLeaked = 0;
  // Page without SMS: registration itself.
  const reg = (phone: string, extra: Record<string, unknown> = {}) =>
    t.http
      .post(`/v1/public/forms/${noSmsSlug}/registrations`)
      .set('X-Forwarded-For', '192.0.2.10')
      .send({ phone, name: 'Mallory', consent: true, ...extra });
  const fresh = await reg('+79281110003');
  // Each probe waits out the phone's resend cooldown (a minute, the same for every phone), as a patient prober would.
  const engagement = t.hub.services.engagement;
  const realNow = engagement.now;
  let skew = 0;
  engagement.now = () => new Date(realNow().getTime() + skew);
  for (const [label, phone, extra] of [
    ['registered', registered, {}],
    ['blacklisted', blacklisted, {}],
    ['registered again', registered, {}],
    ['fresh', '+79281110004', {}],
    // An unknown referral code must not answer differently for a new phone than for a known one.
    ['fresh, unknown referral code', '+79281110006', { referralCode: 'NOSUCH12' }],
    ['blacklisted, unknown referral code', blacklisted, { referralCode: 'NOSUCH12' }],
  ] as const) {
    skew += 61_000;
    const r = await reg(phone, extra);
    probes++;
    if (shape(r) !== shape(fresh)) {
      distinguishable++;
      detail.push(`no-SMS ${label}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    if (JSON.stringify(r.body).includes('/card/')) linksLeaked++;
  }
  // Page with SMS: the code request (same shape; the request id differs by nature).
  const code = (phone: string) => t.http.post(`/v1/public/forms/${smsSlug}/sms-codes`).set('X-Forwarded-For', '192.0.2.11').send({ phone });
  const norm = (r: { status: number; body: Record<string, unknown> }) =>
    JSON.stringify([r.status, Object.keys(r.body).sort(), r.body.expiresInSeconds, r.body.codeLength]);
  const freshCode = await code('+79281110005');
  for (const [label, phone] of [
    ['registered', registered],
    ['blacklisted', blacklisted],
  ] as const) {
    skew += 61_000;
    const r = await code(phone);
    probes++;
    if (norm(r) !== norm(freshCode)) {
      distinguishable++;
      detail.push(`SMS code ${label}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // A wrong guess answers like for any phone.
    const guess = await t.http
      .post(`/v1/public/forms/${smsSlug}/registrations`)
      .set('X-Forwarded-For', '192.0.2.11')
      .send({ phone, requestId: r.body.requestId, code: '000000', consent: true });
    const freshGuess = await t.http
      .post(`/v1/public/forms/${smsSlug}/registrations`)
      .set('X-Forwarded-For', '192.0.2.11')
      .send({ phone: '+79281110005', requestId: freshCode.body.requestId, code: '000000', consent: true });
    probes++;
    if (JSON.stringify([guess.status, guess.body.code]) !== JSON.stringify([freshGuess.status, freshGuess.body.code])) {
      distinguishable++;
      detail.push(`SMS guess ${label}: ${guess.status} ${guess.body.code} vs ${freshGuess.status} ${freshGuess.body.code}`);
    }
  }
  engagement.now = realNow;
  return { probes, distinguishable, linksLeaked, detail };
}

/** Every table of the database and its text columns, from the database's own catalogue. */
export async function textColumns(db: Db): Promise<{ table: string; columns: string[] }[]> {
  const out: { table: string; columns: string[] }[] = [];
  if (db.kind === 'sqlite') {
    const tables = (await db.manager.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)) as { name: string }[];
    for (const { name } of tables) {
      const cols = (await db.manager.query(`PRAGMA table_info("${name}")`)) as { name: string; type: string }[];
      out.push({ table: name, columns: cols.filter((c) => /char|text|clob|json/i.test(c.type)).map((c) => c.name) });
    }
  } else {
    const rows = (await db.manager.query(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    )) as { t: string; c: string; d: string }[];
    const by = new Map<string, string[]>();
    for (const r of rows) {
      if (!by.has(r.t)) by.set(r.t, []);
      if (/char|text|json|blob/i.test(r.d)) by.get(r.t)!.push(r.c);
    }
    for (const [table, columns] of by) out.push({ table, columns });
  }
  return out;
}

/** Where any of the values still appears: `table.column` for every hit (LIKE on every text column of every table). */
export async function findTraces(db: Db, values: string[]): Promise<{ tables: number; columns: number; hits: string[] }> {
  const tables = await textColumns(db);
  // Every entity the hub knows must be in the catalogue scanned (a table missed would hide traces).
  const scanned = new Set(tables.map((x) => x.table));
  const missing = db.ds.entityMetadatas.map((m) => m.tableName).filter((n) => !scanned.has(n));
  if (missing.length) throw new Error(`tables not scanned: ${missing.join(', ')}`);
  const q = (id: string) => (db.kind === 'sqlite' ? `"${id}"` : `\`${id}\``);
  const hits: string[] = [];
  let columns = 0;
  for (const { table, columns: cols } of tables) {
    for (const c of cols) {
      columns++;
      for (const v of values) {
        const rows = (await db.manager.query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${q(c)} LIKE ?`, [`%${v}%`])) as { n: number | string }[];
        if (Number(rows[0]!.n) > 0) hits.push(`${table}.${c} ∋ ${v}`);
      }
    }
  }
  return { tables: tables.length, columns, hits };
}

export interface Receiver {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

/** A local HTTP endpoint that accepts every webhook. */
export async function webhookReceiver(): Promise<Receiver> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    bodies,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

export async function until(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ErasureFigures {
  tables: number;
  columns: number;
  traces: string[];
  /** Traces of the same guest before the erasure (shows the scan finds what it looks for). */
  tracesBefore: number;
}

/**
 * A guest registers by SMS (name, e-mail), a staff member corrects the name, the guest buys
 * something, a webhook receiver gets the events; then the guest is erased and every text column of
 * every table is searched for the phone (whole and masked), the names and the e-mail.
 */
export async function eraseAndScan(t: TestHub, b: TestBusiness, sms: FakeSmsRu, slug: string): Promise<ErasureFigures> {
  const l = loyalty(t, b);
  const phone = '+79295550123';
  const name = 'Erasmus Forgetmenot';
  const renamed = 'Erasma Forgetmenot';
  const email = 'erasmus.forget@example.org';
  const rx = await webhookReceiver();
  try {
    await l.admin('post', '/v1/admin/integrations').send({ connectorId: 'webhooks' }).expect(201);
    await l.admin('post', '/v1/admin/integrations/webhooks/endpoints').send({ url: rx.url, description: 'CRM' }).expect(201);
    const api = `/v1/public/forms/${slug}`;
    // Three codes a minute apart (the resend cooldown), then a fourth refused by the hourly cap: the refusal is audited under the masked phone.
    const engagement = t.hub.services.engagement;
    const realNow = engagement.now;
    let skew = 0;
    engagement.now = () => new Date(realNow().getTime() + skew);
    let code: { body: { requestId: string } } | undefined;
    try {
      for (let i = 0; i < 3; i++) {
        code = await t.http.post(`${api}/sms-codes`).set('X-Forwarded-For', '192.0.2.50').send({ phone }).expect(201);
        skew += 61_000;
      }
      const fourth = await t.http.post(`${api}/sms-codes`).set('X-Forwarded-For', '192.0.2.50').send({ phone }).expect(429);
      expect(fourth.body.code).toBe('sms_limit');
    } finally {
      engagement.now = realNow;
    }
    const reg = await t.http
      .post(`${api}/registrations`)
      .set('X-Forwarded-For', '192.0.2.50')
      .set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)')
      .send({ phone, name, email, consent: true, requestId: code!.body.requestId, code: sms.codeFor(phone) })
      .expect(201);
    await l.admin('patch', `/v1/admin/guests/${reg.body.guestId}`).send({ name: renamed }).expect(200);
    const card = (await l.card(reg.body.cardId)) as { number: string };
    await l.commit({ card: { number: card.number }, basket: l.basket(150000) }).expect(201);
    await t.hub.relay.runOnce();
    await until('the webhook with the phone', async () => rx.bodies.some((x) => x.includes(phone)));
    const before = await findTraces(t.hub.db, [phone, name, renamed, email, maskPhone(phone)]);
    const guestId = reg.body.guestId as string;
    await l.admin('post', `/v1/admin/guests/${reg.body.guestId}/erase`).expect(200);
    await t.hub.relay.runOnce();
    // The webhooks connector drops the guest's data from its delivery log when guest.erased reaches it.
    let last = before;
    await until(
      'no trace left',
      async () => {
        await t.hub.relay.runOnce();
        last = await findTraces(t.hub.db, [phone, name, renamed, email, maskPhone(phone)]);
        return last.hits.length === 0;
      },
      15_000,
    ).catch(() => undefined);
    // Subscribers hear of the erasure too (to erase the guest on their side), without personal data.
    await until('guest.erased delivered', async () => rx.bodies.some((x) => x.includes('"guest.erased"') && x.includes(guestId)));
    const erasedEvent = rx.bodies.find((x) => x.includes('"guest.erased"'))!;
    if ([phone, name, renamed, email].some((v) => erasedEvent.includes(v))) throw new Error(`guest.erased carries personal data: ${erasedEvent}`);
    return { tables: last.tables, columns: last.columns, traces: last.hits, tracesBefore: before.hits.length };
  } finally {
    await rx.close();
  }
}

export const auditCount = (t: TestHub, businessId: string, action: string) => t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId, action });
