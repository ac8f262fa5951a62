import { generateKeyPairSync } from 'node:crypto';
import { GoogleAccount, WalletPass } from '../../src/modules/wallet/wallet.entity';
import { FakeGoogleWallet } from '../../../fixtures/src/google/fake-google-wallet';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { cardLinks, eventually, pathOf } from './wallet-fixtures';

const ISSUER = '3388000000012345678';

describeEachDb('Google Wallet', (backend) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    type: 'service_account',
    project_id: 'loyalty-test',
    private_key_id: 'a1b2c3d4e5',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'wallet@loyalty-test.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  let google: FakeGoogleWallet;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };

  beforeAll(async () => {
    google = new FakeGoogleWallet({ issuerId: ISSUER, account });
    google.install();
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test' } });
    t.hub.relay.start();
    b = await t.business('Coffee House');
    l = loyalty(t, b);
    bonus = await l.program({
      name: 'Coffee points',
      rules: { kind: 'bonus', accrualPercent: 10 },
      levels: [{ code: 'base', name: 'Base', threshold: 0 }],
      welcomeBonusPoints: 50,
    });
  });
  afterAll(async () => {
    await t.close();
    google.uninstall();
  });

  const admin = (method: 'get' | 'put', path: string) => t.http[method](path).set('Cookie', b.ownerCookie);

  it('stores the service account encrypted; a key that is not one is refused', async () => {
    expect((await admin('get', '/v1/admin/wallet/google').expect(200)).body).toMatchObject({ configured: false, source: 'none' });
    const bad = await admin('put', '/v1/admin/wallet/google').send({ issuerId: ISSUER, serviceAccount: '{"client_email":"x@y.z"}' });
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_service_account']);
    const res = await admin('put', '/v1/admin/wallet/google')
      .send({ issuerId: ISSUER, serviceAccount: JSON.stringify(account) })
      .expect(200);
    expect(res.body).toEqual({
      configured: true,
      issuerId: ISSUER,
      clientEmail: account.client_email,
      source: 'business',
      keyFingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
      privateKeyId: account.private_key_id ?? null,
      updatedAt: expect.any(String),
    });
    const row = await t.hub.db.manager.getRepository(GoogleAccount).findOneByOrFail({ businessId: b.businessId });
    expect(row.keySealed).not.toMatch(/PRIVATE KEY/);
  });

  it('creates the class and object, and links to Google with a save JWT that verifies with the account key', async () => {
    const { card } = await l.guestWithCard(bonus.id, { name: 'Anna' });
    const links = await cardLinks(t, b, card.id);
    expect(links.googleSaveUrl).toBeTruthy();
    const res = await t.http.get(pathOf(links.googleSaveUrl!)).expect(302);
    const location = res.headers.location as string;
    expect(location).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = google.verifySaveJwt(location);
    const objectId = `${ISSUER}.lh_${card.id}`;
    const classId = `${ISSUER}.lh_${bonus.id}`;
    expect(claims).toMatchObject({
      aud: 'google',
      typ: 'savetowallet',
      iss: account.client_email,
      origins: ['https://hub.example.test'],
      payload: { loyaltyObjects: [{ id: objectId, classId }] },
    });
    expect(google.classes.get(`loyalty:${classId}`)).toMatchObject({
      id: classId,
      issuerName: 'Coffee House',
      programName: 'Coffee points',
      reviewStatus: 'UNDER_REVIEW',
      programLogo: { sourceUri: { uri: `https://hub.example.test/v1/public/wallet/images/${b.businessId}/${bonus.id}/logo?v=default` } },
    });
    expect(google.object(objectId)).toMatchObject({
      classId,
      state: 'ACTIVE',
      accountId: card.number,
      accountName: 'Anna',
      loyaltyPoints: { balance: { int: 50 } },
      barcode: { type: 'QR_CODE', value: card.qr },
    });
    // The token request went through the JWT bearer grant; every API call carried its bearer token.
    expect(google.tokensIssued.size).toBe(1);
    // A second link reuses the class and object (no duplicate insert).
    await t.http.get(pathOf(links.googleSaveUrl!)).expect(302);
    expect(google.requests.filter((r) => r.method === 'POST' && r.path === '/loyaltyObject')).toHaveLength(2);
    expect(google.requests.filter((r) => r.method === 'PATCH' && r.path === `/loyaltyObject/${encodeURIComponent(objectId)}`).length).toBeGreaterThanOrEqual(1);
  });

  it('PATCHes the object on every change and notifies at most 3 times a day (then TEXT)', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const links = await cardLinks(t, b, card.id);
    await t.http.get(pathOf(links.googleSaveUrl!)).expect(302);
    const objectId = `${ISSUER}.lh_${card.id}`;
    for (let i = 1; i <= 4; i++) {
      await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
      await eventually(() => google.messages(objectId).length >= i && google.object(objectId).loyaltyPoints.balance.int === 50 + 10 * i, `message ${i}`);
    }
    await t.hub.services.wallet.settle();
    const types = google.messages(objectId).map((m) => m.messageType);
    expect(types).toEqual(['TEXT_AND_NOTIFY', 'TEXT_AND_NOTIFY', 'TEXT_AND_NOTIFY', 'TEXT']);
    expect(google.messages(objectId)[0]).toMatchObject({ header: 'Coffee points', body: expect.stringContaining('60') });
    expect(google.object(objectId).loyaltyPoints.balance.int).toBe(90);
  });

  it('falls back to TEXT when Google says the notification quota is used up', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const links = await cardLinks(t, b, card.id);
    await t.http.get(pathOf(links.googleSaveUrl!)).expect(302);
    const objectId = `${ISSUER}.lh_${card.id}`;
    for (let i = 1; i <= 3; i++) {
      await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
      await eventually(() => google.messages(objectId).length >= i, `message ${i}`);
    }
    // The hub forgot its count (e.g. restored from a backup): Google still enforces its quota.
    await t.hub.db.manager.getRepository(WalletPass).update({ cardId: card.id, platform: 'google' }, { notifyLog: null });
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    await eventually(() => google.messages(objectId).length >= 4, 'fourth message');
    expect(google.messages(objectId)[3].messageType).toBe('TEXT');
    await eventually(
      async () => ((await t.hub.db.manager.getRepository(WalletPass).findOneByOrFail({ cardId: card.id, platform: 'google' })).notifyLog ?? []).length === 3,
      'quota noted',
    );
  });

  it('PATCHes the class when the design changes', async () => {
    await t.http
      .put(`/v1/admin/wallet/designs/${bonus.id}`)
      .set('Cookie', b.ownerCookie)
      .send({ colors: { background: '#40A02B' }, back: { reviewUrl: 'https://example.com/review' } })
      .expect(200);
    await t.hub.services.wallet.settle();
    expect(google.classes.get(`loyalty:${ISSUER}.lh_${bonus.id}`)).toMatchObject({
      hexBackgroundColor: '#40A02B',
      linksModuleData: { uris: [{ uri: 'https://example.com/review', id: 'review' }] },
    });
  });

  it('refreshes the OAuth token when the API answers 401', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    google.tokensIssued.clear(); // Google revoked every token
    const links = await cardLinks(t, b, card.id);
    await t.http.get(pathOf(links.googleSaveUrl!)).expect(302);
    expect(google.tokensIssued.size).toBe(1);
  });
});
