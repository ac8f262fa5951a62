import type { Envelope } from '@loyalty/sdk';
import { WalletPass, WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import { FakeApns } from '../../../fixtures/src/apple/fake-apns';
import { inspectPkpass, readZip } from '../../../fixtures/src/apple/pkpass';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { binary, cardLinks, eventually, pathOf, uploadAppleCert } from './wallet-fixtures';

const PASS_TYPE = 'pass.com.example.coffee';
const WS = '/v1/wallet/apple/v1';
const token = (n: number) => n.toString(16).padStart(64, 'a');

/**
 * Apple's PassKit web service as a device uses it, with a local HTTP/2 APNs: register -> a sale
 * changes the balance -> the push arrives -> serials since the tag -> the latest pass -> 304.
 */
describeEachDb('Apple Wallet web service and APNs', (backend) => {
  let certs: AppleTestCerts;
  let apns: FakeApns;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let card: { id: string; number: string; qr: string; programId: string };
  let authToken: string;
  const events: Envelope[] = [];

  beforeAll(async () => {
    certs = makeAppleTestCerts({ passTypeId: PASS_TYPE, teamId: 'TEAMID1234' });
    apns = new FakeApns({
      tls: { key: certs.tlsKeyPem, cert: certs.tlsCertPem },
      keys: [{ keyId: certs.apnsKeyId, teamId: 'TEAMID1234', keyPem: certs.apnsKeyPem }],
      topic: PASS_TYPE,
    });
    const apnsUrl = await apns.start();
    t = await createTestHub({
      db: backend,
      env: { PUBLIC_URL: 'https://hub.example.test', APPLE_WWDR_CERT_FILE: certs.wwdrFile, APNS_HOST: apnsUrl, APNS_CA_FILE: certs.tlsCertFile },
    });
    await t.hub.bus.subscribe('test-events', ['card.*'], async (m) => {
      events.push(m);
    });
    t.hub.relay.start();
    b = await t.business('Coffee House');
    l = loyalty(t, b);
    await uploadAppleCert(t, b, certs);
    const bonus = await l.program({ name: 'Coffee points', rules: { kind: 'bonus', accrualPercent: 10, maxRedeemPercent: 50 }, welcomeBonusPoints: 120 });
    card = { ...(await l.guestWithCard(bonus.id)).card, programId: bonus.id };
    // The guest downloads the pass from the card page; the device reads the token from pass.json.
    const links = await cardLinks(t, b, card.id);
    const res = await t.http.get(pathOf(links.applePassUrl!)).buffer(true).parse(binary).expect(200);
    authToken = JSON.parse(readZip(res.body as Buffer)['pass.json']!.toString()).authenticationToken;
  });
  afterAll(async () => {
    await t.close();
    await apns.stop();
    certs.cleanup();
  });

  const register = (device: string, push: string, auth = `ApplePass ${authToken}`, serial = card.id) =>
    t.http.post(`${WS}/devices/${device}/registrations/${PASS_TYPE}/${serial}`).set('Authorization', auth).send({ pushToken: push });
  const latest = (auth = `ApplePass ${authToken}`, serial = card.id) =>
    t.http.get(`${WS}/passes/${PASS_TYPE}/${serial}`).set('Authorization', auth).buffer(true).parse(binary);

  it('answers a wrong token with 401, an unknown serial or pass type with 404', async () => {
    expect((await register('device-1', token(1), 'ApplePass wrong-token-wrong-token')).status).toBe(401);
    expect((await register('device-1', token(1), '')).status).toBe(401);
    expect((await register('device-1', token(1), `Bearer ${authToken}`)).status).toBe(401);
    expect((await register('device-1', token(1), `ApplePass ${authToken}`, '0190c3c1-0000-7000-8000-000000000000')).status).toBe(404);
    expect(
      (
        await t.http
          .post(`${WS}/devices/device-1/registrations/pass.other.type/${card.id}`)
          .set('Authorization', `ApplePass ${authToken}`)
          .send({ pushToken: token(1) })
      ).status,
    ).toBe(404);
    expect((await latest('ApplePass nope-nope-nope-nope')).status).toBe(401);
    expect((await latest(`ApplePass ${authToken}`, '0190c3c1-0000-7000-8000-000000000000')).status).toBe(404);
    expect(
      (await t.http.delete(`${WS}/devices/device-1/registrations/${PASS_TYPE}/${card.id}`).set('Authorization', 'ApplePass bad-bad-bad-bad-bad')).status,
    ).toBe(401);
    expect(await t.hub.db.manager.getRepository(WalletRegistration).count()).toBe(0);
  });

  it('runs the device sequence: register -> sale -> push -> serials since tag -> latest pass -> 304', async () => {
    expect((await register('device-1', token(1))).status).toBe(201);
    expect((await register('device-1', token(1))).status).toBe(200);
    const installed = await eventually(() => events.find((e) => e.type === 'card.installed'), 'card.installed');
    expect(installed.data).toMatchObject({ cardId: card.id, platform: 'apple', deviceCount: 1 });

    // First sync: no tag -> every registered pass, with a string tag.
    const first = await t.http.get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`).expect(200);
    expect(first.body).toEqual({ serialNumbers: [card.id], lastUpdated: expect.any(String) });
    const got = await latest().expect(200);
    expect(got.headers['content-type']).toBe('application/vnd.apple.pkpass');
    const lm1 = got.headers['last-modified'] as string;
    expect(new Date(lm1).toUTCString()).toBe(lm1);
    expect(inspectPkpass(got.body as Buffer, certs.wwdrPem).passJson.storeCard.primaryFields[0].value).toBe(120);
    expect((await latest().set('If-Modified-Since', lm1)).status).toBe(304);
    const head = await t.http.head(`${WS}/passes/${PASS_TYPE}/${card.id}`).set('Authorization', `ApplePass ${authToken}`).expect(200);
    expect(head.headers['last-modified']).toBe(lm1);
    expect(
      await t.http.get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`).query({ passesUpdatedSince: first.body.lastUpdated }).expect(204),
    ).toBeTruthy();

    // A sale at the till (POS API) accrues points: the device gets an empty push on the pass type topic.
    const before = apns.accepted;
    await l.commit({ card: { number: card.number }, basket: l.basket(100000) }).expect(201);
    await apns.waitForPushes(before + 1);
    const push = apns.pushes[apns.pushes.length - 1]!;
    expect(push).toMatchObject({ token: token(1), topic: PASS_TYPE, payload: {} });

    const since = await eventually(async () => {
      const r = await t.http.get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`).query({ passesUpdatedSince: first.body.lastUpdated });
      return r.status === 200 ? r : null;
    }, 'updated serials');
    expect(since.body.serialNumbers).toEqual([card.id]);
    expect(typeof since.body.lastUpdated).toBe('string');
    expect(Number(since.body.lastUpdated)).toBeGreaterThan(Number(first.body.lastUpdated));

    const updated = await latest().set('If-Modified-Since', lm1).expect(200);
    const lm2 = updated.headers['last-modified'] as string;
    expect(Date.parse(lm2)).toBeGreaterThan(Date.parse(lm1));
    const pass = inspectPkpass(updated.body as Buffer, certs.wwdrPem);
    expect(pass.problems).toEqual([]);
    expect(pass.passJson.storeCard.primaryFields[0]).toMatchObject({ value: 220, changeMessage: 'Баллы: %@' });
    expect((await latest().set('If-Modified-Since', lm2)).status).toBe(304);
    await apns.waitForPushes(before + 2); // card.balance_changed and checkout.committed each refresh the pass
    const after = await t.http
      .get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`)
      .query({ passesUpdatedSince: (await t.http.get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`)).body.lastUpdated });
    expect(after.status).toBe(204);
    expect(apns.violations).toEqual([]);
  });

  it('purges a registration whose token APNs answers 410 Unregistered; pushes share one connection', async () => {
    expect((await register('device-2', token(2))).status).toBe(201);
    apns.answer(token(2), 410, 'Unregistered');
    const before = apns.accepted;
    await l.commit({ card: { number: card.number }, basket: l.basket(5000) }).expect(201);
    await apns.waitForPushes(before + 1);
    await eventually(async () => (await t.hub.db.manager.getRepository(WalletRegistration).countBy({ pushToken: token(2) })) === 0, 'purge of the 410 token');
    expect(await t.hub.db.manager.getRepository(WalletRegistration).countBy({ pushToken: token(1) })).toBe(1);
    expect(apns.pushes.every((p) => p.token === token(1))).toBe(true);
    expect(apns.connections).toBe(1);
  });

  it('unregisters; removing the last device emits card.uninstalled; the log endpoint answers 200', async () => {
    await t.http.delete(`${WS}/devices/device-1/registrations/${PASS_TYPE}/${card.id}`).set('Authorization', `ApplePass ${authToken}`).expect(200);
    await t.http.delete(`${WS}/devices/device-1/registrations/${PASS_TYPE}/${card.id}`).set('Authorization', `ApplePass ${authToken}`).expect(200);
    const gone = await eventually(() => events.find((e) => e.type === 'card.uninstalled'), 'card.uninstalled');
    expect(gone.data).toMatchObject({ cardId: card.id, platform: 'apple', deviceCount: 0 });
    expect(events.filter((e) => e.type === 'card.installed')).toHaveLength(1);
    await t.http.get(`${WS}/devices/device-1/registrations/${PASS_TYPE}`).expect(204);
    await t.http
      .post(`${WS}/log`)
      .send({ logs: ['[2025-01-01] Web service error for pass.com.example.coffee: something'] })
      .expect(200);
  });

  it('handles each bus message once (idempotent on the message id)', async () => {
    expect((await register('device-3', token(3))).status).toBe(201);
    const before = apns.accepted;
    const msg: Envelope = {
      id: '0190c3c1-1111-7000-8000-000000000001',
      type: 'card.level_changed',
      businessId: b.businessId,
      occurredAt: new Date().toISOString(),
      data: { cardId: card.id, guestId: null, fromLevel: null, toLevel: null, reason: 'test' },
    };
    await t.hub.services.wallet.onEvent(msg);
    await t.hub.services.wallet.onEvent(msg);
    expect(apns.accepted).toBe(before + 1);
    const row = await t.hub.db.manager.getRepository(WalletPass).findOneByOrFail({ cardId: card.id, platform: 'apple' });
    expect(row.lastModified.getTime() % 1000).toBe(0);
  });

  it('pushes to every device of the program when the design changes; the new pass has the new colours', async () => {
    const before = apns.accepted;
    const lm = (await latest().expect(200)).headers['last-modified'] as string;
    await t.http
      .put(`/v1/admin/wallet/designs/${card.programId}`)
      .set('Cookie', b.ownerCookie)
      .send({ colors: { background: '#40A02B', foreground: '#FFFFFF', label: '#E6F4E1' } })
      .expect(200);
    await apns.waitForPushes(before + 1);
    expect(apns.pushes[apns.pushes.length - 1]).toMatchObject({ token: token(3), topic: PASS_TYPE, payload: {} });
    const res = await latest().set('If-Modified-Since', lm).expect(200);
    expect(inspectPkpass(res.body as Buffer, certs.wwdrPem).passJson.backgroundColor).toBe('rgb(64, 160, 43)');
  });
});
