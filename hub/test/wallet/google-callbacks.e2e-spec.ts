import { generateKeyPairSync } from 'node:crypto';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { FakeGoogleWallet } from '../../../fixtures/src/google/fake-google-wallet';
import { FakeGoogleWalletCallbacks } from '../../../fixtures/src/google/wallet-callbacks';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { cardLinks, pathOf } from './wallet-fixtures';

const ISSUER = '3388000000012345678';

describeEachDb('Google Wallet save and delete callbacks', (backend) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    type: 'service_account',
    project_id: 'loyalty-test',
    private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'wallet@loyalty-test.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  const google = new FakeGoogleWallet({ issuerId: ISSUER, account });
  const callbacks = new FakeGoogleWalletCallbacks(ISSUER);
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let cardId: string;
  let classId: string;
  let objectId: string;
  const post = (body: unknown) => t.http.post(`/v1/wallet/google/callbacks/${b.businessId}`).send(body as object);
  const installed = async () => (await l.admin('get', '/v1/admin/guests/count').query({ walletInstalled: 'true' }).expect(200)).body.count;

  beforeAll(async () => {
    google.install();
    callbacks.install();
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test' } });
    b = await t.business('Callbacks café');
    l = loyalty(t, b);
    await t.http
      .put('/v1/admin/wallet/google')
      .set('Cookie', b.ownerCookie)
      .send({ issuerId: ISSUER, serviceAccount: JSON.stringify(account) })
      .expect(200);
    const program = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5 } });
    const { card } = await l.guestWithCard(program.id);
    cardId = card.id;
    await t.http.get(pathOf((await cardLinks(t, b, card.id)).googleSaveUrl!)).expect(302);
    classId = `${ISSUER}.lh_${program.id}`;
    objectId = `${ISSUER}.lh_${card.id}`;
  });
  afterAll(async () => {
    await t.close();
    google.uninstall();
  });

  it('sets the callback URL on the class', () => {
    expect(google.classes.get(`loyalty:${classId}`)).toMatchObject({
      callbackOptions: { url: `https://hub.example.test/v1/wallet/google/callbacks/${b.businessId}` },
    });
  });

  it('refuses callbacks whose signature chain does not verify, and changes nothing', async () => {
    for (const bad of [
      callbacks.callback({ classId, objectId, eventType: 'save', untrustedRoot: true }),
      callbacks.callback({ classId, objectId, eventType: 'save', recipientId: '3388000000099999999' }),
      callbacks.callback({ classId, objectId, eventType: 'save', expTimeMillis: Date.now() - 1000 }),
      callbacks.callback({ classId, objectId, eventType: 'save', keyExpiration: Date.now() - 1000 }),
      {
        ...callbacks.callback({ classId, objectId, eventType: 'save' }),
        signedMessage: JSON.stringify({ classId, objectId, expTimeMillis: Date.now() + 60_000, eventType: 'save', nonce: 'x' }),
      },
    ]) {
      const res = await post(bad);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
    }
    expect((await post({ signedMessage: 'x' })).status).toBe(400);
    expect(await installed()).toBe(0);
  });

  it('a save installs the card (once, even when Google repeats it) and a delete removes it', async () => {
    const save = callbacks.callback({ classId, objectId, eventType: 'save', nonce: 'n1' });
    expect((await post(save).expect(200)).body).toEqual({ result: 'saved' });
    expect((await post(save).expect(200)).body).toEqual({ result: 'saved' });
    expect(await t.hub.db.manager.getRepository(WalletRegistration).countBy({ cardId, deviceLibraryId: 'google' })).toBe(1);
    expect(await installed()).toBe(1);
    const events = await t.hub.db.manager.getRepository(OutboxMessage).findBy({ type: 'card.installed' });
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ cardId, platform: 'google', deviceCount: 1 })]);
    expect((await post(callbacks.callback({ classId, objectId, eventType: 'del' })).expect(200)).body).toEqual({ result: 'deleted' });
    expect(await installed()).toBe(0);
    const gone = await t.hub.db.manager.getRepository(OutboxMessage).findBy({ type: 'card.uninstalled' });
    expect(gone.map((e) => e.data)).toEqual([expect.objectContaining({ cardId, platform: 'google', deviceCount: 0 })]);
    expect((await post(callbacks.callback({ classId, objectId: `${ISSUER}.lh_unknown`, eventType: 'save' })).expect(200)).body).toEqual({ result: 'ignored' });
  });
});
