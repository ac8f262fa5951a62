import { Agent } from 'node:http';
import fc from 'fast-check';
import { z } from 'zod';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { send } from '../http-client';
import { loyalty } from '../loyalty/fixtures';
import { arbitraryFor, nasty } from './schema-arbitrary';
import { dbLabel, record } from './table';

const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';
const RUNS_PER_ROUTE = 40;

/** A string of any value, even an object without a prototype. */
const str = (v: unknown): string => {
  try {
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'x');
  } catch {
    return 'x';
  }
};

const toJson = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;

describe(`R6 fuzzing every route from its zod schema [${backend}]`, () => {
  let t: TestHub;
  let b: TestBusiness;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Fuzz');
    const l = loyalty(t, b);
    const p = await l.program({ name: 'Fuzz points', rules: { kind: 'bonus', accrualPercent: 5 } });
    await l.guestWithCard(p.id);
    await t.listen();
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  it('R6: generated and hand-picked inputs on every route -> 4xx, never 5xx, the process stays up', async () => {
    const fiveXX: string[] = [];
    let requests = 0;
    let fourXX = 0;
    const specs = t.hub.api.specs.filter((s) => s.method !== 'head' && !(s.method === 'delete' && s.path === '/v1/admin/session'));
    for (const spec of specs) {
      const auth: Record<string, string> = spec.auth === 'public' ? {} : spec.auth === 'terminal' ? { authorization: `Bearer ${b.terminalKey}` } : { cookie: b.ownerCookie };
      const bodyArb = spec.body ? arbitraryFor(toJson(spec.body)) : fc.constant(undefined);
      const queryArb = spec.query ? arbitraryFor(toJson(spec.query)) : fc.constant({});
      const paramArb = fc.oneof(fc.uuid(), fc.string({ maxLength: 12 }).map((s) => s || 'x'), nasty.map((v) => str(v).slice(0, 40) || 'x'));
      const samples = fc.sample(fc.tuple(bodyArb, queryArb, paramArb, fc.boolean()), { numRuns: RUNS_PER_ROUTE });
      await Promise.all(
        samples.map(async ([body, query, param, withKey]) => {
          const path = spec.path.replace(/:[A-Za-z]+/g, () => encodeURIComponent(str(param)));
          const qs = query && typeof query === 'object' && !Array.isArray(query) ? new URLSearchParams(Object.entries(query as object).map(([k, v]) => [k, str(v)])).toString() : '';
          const headers = { ...auth, ...(withKey ? { 'idempotency-key': `fuzz-${Math.random()}` } : {}) };
          const r = await send(`${t.url}${path}${qs ? `?${qs}` : ''}`, agent, spec.method.toUpperCase(), headers, body === undefined ? undefined : body);
          requests++;
          if (r.status >= 500) fiveXX.push(`${spec.method} ${spec.path} -> ${r.status} ${r.text.slice(0, 200)} body=${JSON.stringify(body)?.slice(0, 200)}`);
          else if (r.status >= 400) fourXX++;
        }),
      );
    }
    // Hand-picked: huge bodies, deep JSON, wrong content types, odd unicode in phones.
    const cookie = { cookie: b.ownerCookie };
    const picks: [string, string, Record<string, string>, string][] = [
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, JSON.stringify({ phone: 'x'.repeat(3_000_000) })],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, '['.repeat(100_000) + ']'.repeat(100_000)],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, JSON.stringify({ phone: '+7999', attributes: JSON.parse('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)) })],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'text/plain' }, 'phone=+79990000000'],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/xml' }, '<guest><phone>+7</phone></guest>'],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="phone"\r\n\r\n+7\r\n--x--'],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json; charset=koi8-r' }, '{"phone":"+79990000000"}'],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, '{"phone": "\\ud800"}'],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, JSON.stringify({ phone: '‮+7 999 123 45 67' })],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, JSON.stringify({ phone: '+7 ٩٩٩ ١٢٣ ٤٥ ٦٧' })],
      ['POST', '/v1/admin/guests', { ...cookie, 'content-type': 'application/json' }, '{"__proto__":{"admin":true},"phone":"+79990000009"}'],
      ['POST', '/v1/pos/checkouts', { authorization: `Bearer ${b.terminalKey}`, 'idempotency-key': 'k'.repeat(500), 'content-type': 'application/json' }, '{}'],
      ['GET', `/v1/admin/guests?limit=${'9'.repeat(400)}`, cookie, ''],
      ['GET', '/v1/admin/guests?cursor[]=a&cursor[]=b', cookie, ''],
      ['GET', '/v1/pos/cards/lookup?phone=%00%01%02', { authorization: `Bearer ${b.terminalKey}` }, ''],
      ['GET', '/v1/admin/locations/%E0%A4%A', cookie, ''],
    ];
    for (const [method, path, headers, raw] of picks) {
      const r = await send(`${t.url}${path}`, agent, method, headers, undefined, raw || undefined);
      requests++;
      if (r.status >= 500) fiveXX.push(`${method} ${path.slice(0, 60)} (hand-picked) -> ${r.status} ${r.text.slice(0, 200)}`);
      else if (r.status >= 400) fourXX++;
    }
    const health = await send(`${t.url}/healthz`, agent, 'GET', {});
    const polluted = ({} as Record<string, unknown>).admin !== undefined || ({} as Record<string, unknown>).polluted !== undefined;
    record({
      id: 'R6',
      check: `fuzz ${specs.length} routes × ${RUNS_PER_ROUTE} schema-generated inputs + ${picks.length} hand-picked`,
      figure: `${requests} requests: ${fourXX} × 4xx, ${fiveXX.length} × 5xx; process up: ${health.status === 200}`,
      backend: dbLabel(),
      held: fiveXX.length === 0 && health.status === 200 && !polluted,
    });
    expect(fiveXX).toEqual([]);
    expect(health.status).toBe(200);
    expect(polluted).toBe(false);
  });
});
