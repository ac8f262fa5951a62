import https from 'node:https';
import { runConnector, testServices } from '@loyalty/sdk/testkit';
import { sampleOrder, startFakeCashServer, type FakeCashServer } from '../../../fixtures/src/rkeeper/fake-cash-server';
import { createConnector, Rk7Client, Rk7Error } from '../src';

const KEY = 'rk-farcards-key-0123456789abcdef';

/** Posts raw bytes to the fake (to check the fake itself behaves like r_keeper). */
function raw(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('r_keeper XML interface client against the fake cash server', () => {
  let rk: FakeCashServer;
  const client = (over: Partial<ConstructorParameters<typeof Rk7Client>[0]> = {}) =>
    new Rk7Client({ url: rk.url, user: 'loyalty', password: 'rk7-secret', allowPrivate: true, ...over });

  beforeAll(async () => {
    rk = await startFakeCashServer({
      orders: [
        sampleOrder(),
        sampleOrder({ guid: '{0A0A0A0A-0000-0000-0000-000000000002}', orderId: 18, visitId: 502, finished: false, cardCode: undefined, pays: [] }),
      ],
    });
  });
  afterAll(async () => {
    await rk.close();
  });

  it('the fake behaves like r_keeper: HTTP 200 with a Status for form bodies, broken XML and unknown (case-sensitive) commands; 401 without Basic auth', async () => {
    const auth = { authorization: `Basic ${Buffer.from('loyalty:rk7-secret').toString('base64')}` };
    const form = await raw(rk.url, 'a=1', { ...auth, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(200);
    expect(form.text).toMatch(/Status="Query Parse Error"[^>]*ErrorText="Empty input XML"/);
    const broken = await raw(rk.url, '<RK7Query><RK7CMD', { ...auth, 'content-type': 'application/xml' });
    expect(broken.text).toContain('Status="Query Parse Error"');
    const lower = await raw(rk.url, '<RK7Query><RK7CMD CMD="getorderlist"/></RK7Query>', { ...auth, 'content-type': 'application/xml' });
    expect(lower.text).toMatch(/Status="Bad Query Parameters"[^>]*ErrorText="Unknown command getorderlist"/);
    const boolText = await raw(rk.url, '<RK7Query><RK7CMD CMD="GetOrderList" onlyOpened="true"/></RK7Query>', { ...auth, 'content-type': 'application/xml' });
    expect(boolText.text).toContain('ErrorText="Bad integer attribute onlyOpened"');
    expect((await raw(rk.url, '<RK7Query/>', { 'content-type': 'application/xml' })).status).toBe(401);
  });

  it('sends RK7Query as application/xml with HTTP Basic over the weak self-signed TLS, and reads orders in kopecks', async () => {
    const before = rk.requests.length;
    const list = await client().orderList({ onlyOpened: false });
    expect(rk.requests[before]).toMatchObject({
      authorization: `Basic ${Buffer.from('loyalty:rk7-secret').toString('base64')}`,
      contentType: 'application/xml; charset=utf-8',
      body: expect.stringContaining('<RK7Query><RK7CMD CMD="GetOrderList" onlyOpened="0" needIdents="1"/></RK7Query>'),
    });
    expect(list.status).toBe('Ok');
    expect(list.orders.map((o) => [o.guid, o.orderSum, o.finished, o.cardCodes])).toEqual([
      ['{4F2C1A9E-0B7D-4C55-9E21-6A1D3B8F0C11}', 30000, true, ['1010000012345']],
      ['{0A0A0A0A-0000-0000-0000-000000000002}', 30000, false, []],
    ]);
    expect((await client().orderList({ onlyOpened: true })).orders).toHaveLength(1);
    const order = await client().order('{4F2C1A9E-0B7D-4C55-9E21-6A1D3B8F0C11}');
    expect(order.orders[0]).toMatchObject({
      orderId: '17',
      cardCodes: ['1010000012345'],
      dishes: [
        { code: '12', name: 'Капучино', price: 20000, quantity: 1000, amount: 20000, lineGuid: '{A1000000-0000-0000-0000-000000000001}', state: 6 },
        { code: '31', name: 'Чизкейк', price: 10000, quantity: 1000, amount: 10000, state: 6 },
      ],
      pays: [{ amount: 30000 }],
      checkNums: ['1017'],
    });
  });

  it('polls with lastversion: "No changes" until an order changes', async () => {
    const first = await client().orderList();
    const same = await client().orderList({ lastVersion: first.lastVersion });
    expect(same).toMatchObject({ status: 'No changes', orders: [] });
    rk.addOrder(sampleOrder({ guid: '{0B0B0B0B-0000-0000-0000-000000000003}', orderId: 19, visitId: 503, finished: false }));
    const changed = await client().orderList({ lastVersion: first.lastVersion, onlyOpened: true });
    expect(changed.status).toBe('Ok');
    expect(changed.orders.map((o) => o.orderId)).toContain('19');
  });

  it('a business error arrives as Status with ErrorText (HTTP 200) and becomes an Rk7Error', async () => {
    const e = await client()
      .order('{DEADBEEF-0000-0000-0000-000000000000}')
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(e).toBeInstanceOf(Rk7Error);
    expect(e).toMatchObject({ status: 'Query Executing Error', message: 'Заказ не найден' });
  });

  it('"Test connection": ok with the server named; a wrong password, a wrong pinned certificate and a private address without permission are reported', async () => {
    expect(await client().check()).toEqual({ ok: true, detail: expect.stringMatching(/^r_keeper 7\.26\.1\.1 at MIDSERV: \d+ open orders$/) });
    expect(await client({ certSha256: rk.certSha256 }).check()).toMatchObject({ ok: true });
    expect(await client({ password: 'wrong' }).check()).toEqual({ ok: false, error: 'r_keeper refused the user or password (HTTP 401)' });
    const sent = rk.requests.length;
    const pinned = await client({ certSha256: 'AB:'.repeat(31) + 'AB' }).check();
    expect(pinned).toMatchObject({ ok: false, error: expect.stringContaining('is not the pinned one') });
    // Nothing, credentials included, reached a server that is not the pinned one.
    expect(rk.requests.length).toBe(sent);
    const guarded = await client({ allowPrivate: false }).check();
    expect(guarded).toMatchObject({ ok: false, error: expect.stringContaining('Refused to connect to 127.0.0.1') });
  });

  it("the connector's check() uses the installation's XML-interface settings (CONNECTORS_ALLOW_PRIVATE for the LAN)", async () => {
    const def = createConnector(testServices({ settings: { CONNECTORS_ALLOW_PRIVATE: 'true' } }));
    const run = await runConnector(def, { config: { farcardsKey: KEY, xmlUrl: rk.url, xmlUser: 'loyalty', xmlPassword: 'rk7-secret' } });
    expect(await run.check()).toMatchObject({ ok: true, detail: expect.stringContaining('MIDSERV') });
    expect(await run.check({ farcardsKey: KEY, xmlUrl: rk.url, xmlUser: 'loyalty', xmlPassword: 'nope' })).toMatchObject({ ok: false });
    const cloud = await runConnector(createConnector(testServices()), {
      config: { farcardsKey: KEY, xmlUrl: rk.url, xmlUser: 'loyalty', xmlPassword: 'rk7-secret' },
    });
    expect(await cloud.check()).toMatchObject({ ok: false, error: expect.stringContaining('Refused') });
  });
});
