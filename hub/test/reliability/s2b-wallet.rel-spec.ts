import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import { readZip } from '../../../fixtures/src/apple/pkpass';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { binary, cardLinks, pathOf, uploadAppleCert } from '../wallet/wallet-fixtures';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { dbLabel, record } from './table';

const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';
const PASS_TYPE = 'pass.com.example.rel';
const WS = '/v1/wallet/apple/v1';

/** S2 (wallet): forged Apple device tokens on every PassKit web service route are refused. */
describe(`S2 Apple PassKit web service with forged tokens [${backend}]`, () => {
  let certs: AppleTestCerts;
  let t: TestHub;
  let b: TestBusiness;
  let mine: { id: string; token: string };
  let other: { id: string; token: string };

  beforeAll(async () => {
    certs = makeAppleTestCerts({ passTypeId: PASS_TYPE, teamId: 'TEAMID1234' });
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test', APPLE_WWDR_CERT_FILE: certs.wwdrFile } });
    b = await t.business('Wallet security');
    const l = loyalty(t, b);
    await uploadAppleCert(t, b, certs, false);
    const p = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5 } });
    const pass = async () => {
      const { card } = await l.guestWithCard(p.id);
      const links = await cardLinks(t, b, card.id);
      const res = await t.http.get(pathOf(links.applePassUrl!)).buffer(true).parse(binary).expect(200);
      return { id: card.id, token: JSON.parse(readZip(res.body as Buffer)['pass.json']!.toString()).authenticationToken as string };
    };
    mine = await pass();
    other = await pass();
  });
  afterAll(async () => {
    await t.close();
    certs.cleanup();
  });

  it('S2: wrong, empty, other-pass and wrong-scheme tokens -> 401 on register, unregister and latest pass', async () => {
    const forged = [`ApplePass ${'0'.repeat(32)}`, 'ApplePass ', '', `Bearer ${mine.token}`, `ApplePass ${other.token}`, `ApplePass ${mine.token.slice(0, -1)}x`, `applepass${mine.token}`];
    const statuses: number[] = [];
    for (const auth of forged) {
      const h = auth ? { Authorization: auth } : {};
      statuses.push((await t.http.post(`${WS}/devices/dev-forged/registrations/${PASS_TYPE}/${mine.id}`).set(h).send({ pushToken: 'a'.repeat(64) })).status);
      statuses.push((await t.http.delete(`${WS}/devices/dev-forged/registrations/${PASS_TYPE}/${mine.id}`).set(h)).status);
      statuses.push((await t.http.get(`${WS}/passes/${PASS_TYPE}/${mine.id}`).set(h)).status);
    }
    const registrations = await t.hub.db.manager.getRepository(WalletRegistration).count();
    const genuine = (await t.http.post(`${WS}/devices/dev-real/registrations/${PASS_TYPE}/${mine.id}`).set('Authorization', `ApplePass ${mine.token}`).send({ pushToken: 'b'.repeat(64) })).status;
    record({
      id: 'S2b',
      check: 'forged Apple device tokens on the PassKit web service (register, unregister, latest pass)',
      figure: `${statuses.length} attempts, ${statuses.filter((s) => s !== 401).length} accepted, ${registrations} registrations made; the genuine token registers (${genuine})`,
      backend: dbLabel(),
      held: statuses.every((s) => s === 401) && registrations === 0 && genuine === 201,
    });
    expect(statuses).toEqual(statuses.map(() => 401));
    expect(registrations).toBe(0);
    expect(genuine).toBe(201);
  });
});
