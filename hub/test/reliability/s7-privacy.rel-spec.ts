import { FakeSmsRu } from '../../../fixtures/src/sms/fake-smsru';
import { createTestHub, dbBackends, type TestBusiness, type TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { eraseAndScan, makeForm, privacyEnv, probeEnumeration, pumpFromManyIps, pumpFromOneIp, SMS_API_ID } from '../privacy/scenarios';
import { dbLabel, record } from './table';

const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';

/** S7: guest privacy (issue 19) — SMS pumping, enumeration of phones, traces of an erased guest. */
describe(`S7 guest privacy [${backend}]`, () => {
  let sms: FakeSmsRu;
  let t: TestHub;
  let b: TestBusiness;

  beforeAll(async () => {
    sms = new FakeSmsRu({ apiId: SMS_API_ID });
    sms.install();
    t = await createTestHub({ db: backend, env: privacyEnv });
    await t.hub.connectors.start();
    b = await t.business('S7 Privacy');
  });
  afterAll(async () => {
    await t.close();
    sms.uninstall();
  });

  it('S7a: SMS pumping — one address, then a botnet against one page, then the daily budget', async () => {
    await makeForm(t, b, 's7-pump');
    const oneIp = await pumpFromOneIp(t, 's7-pump', sms, 60);
    await loyalty(t, b).admin('patch', '/v1/admin/engagement/sms-policy').send({ codesPerFormPerHour: 50 }).expect(200);
    const botnet = await pumpFromManyIps(t, 's7-pump', sms, 100);
    await loyalty(t, b).admin('patch', '/v1/admin/engagement/sms-policy').send({ dailyBudget: 80, codesPerFormPerHour: 1000 }).expect(200);
    await makeForm(t, b, 's7-pump-2');
    const budget = await pumpFromManyIps(t, 's7-pump-2', sms, 100, 79280000000);
    const attempts = oneIp.attempts + botnet.attempts + budget.attempts;
    const accepted = oneIp.accepted + botnet.accepted + budget.accepted;
    const held = oneIp.accepted === 10 && botnet.accepted === 40 && budget.accepted === 30 && oneIp.smsSent + botnet.smsSent + budget.smsSent === accepted;
    record({
      id: 'S7a',
      check: 'SMS pumping: 60 phones from one IP, 100 phones from 100 IPs on one page, 100 more against a daily budget of 80',
      figure: `${attempts} attempts, ${accepted} accepted (one IP ${oneIp.accepted}/60 — cap 10/h; one page ${botnet.accepted}/100 — cap 50/h with 10 spent; budget ${budget.accepted}/100 — 80/day with 50 spent)`,
      backend: dbLabel(),
      held,
    });
    expect([oneIp.accepted, botnet.accepted, budget.accepted]).toEqual([10, 40, 30]);
  });

  it('S7b: enumeration — registered and blacklisted phones answer like any phone', async () => {
    await makeForm(t, b, 's7-nosms', { smsVerification: false });
    await makeForm(t, b, 's7-sms');
    await loyalty(t, b).admin('patch', '/v1/admin/engagement/sms-policy').send({ dailyBudget: 10_000 }).expect(200);
    const f = await probeEnumeration(t, b, 's7-nosms', 's7-sms');
    record({
      id: 'S7b',
      check: 'phone enumeration on the registration pages (with and without SMS): registered, blacklisted and fresh phones compared',
      figure: `${f.probes} probes, ${f.distinguishable} distinguishable answers, ${f.linksLeaked} card links handed to the prober`,
      backend: dbLabel(),
      held: f.distinguishable === 0 && f.linksLeaked === 0,
    });
    expect(f.detail).toEqual([]);
    expect(f.linksLeaked).toBe(0);
  });

  it('S7c: erasure — the phone, names and e-mail of an erased guest in no table', async () => {
    await makeForm(t, b, 's7-erase');
    const f = await eraseAndScan(t, b, sms, 's7-erase');
    record({
      id: 'S7c',
      check: 'erased guest (registered by SMS, renamed, a sale, a webhook delivered): every text column of every table searched for phone, names, e-mail',
      figure: `${f.tables} tables, ${f.columns} text columns: ${f.traces.length} traces after erasure (${f.tracesBefore} before)${f.traces.length ? ` — ${f.traces.join('; ')}` : ''}`,
      backend: dbLabel(),
      held: f.traces.length === 0 && f.tracesBefore > 0,
    });
    expect(f.traces).toEqual([]);
  });
});
