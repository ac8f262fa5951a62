import { generateKeyPairSync } from 'node:crypto';
import { GoogleAccount } from '../../src/modules/wallet/wallet.entity';
import { FakeGoogleWallet } from '../../../fixtures/src/google/fake-google-wallet';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { cardLinks, pathOf } from '../wallet/wallet-fixtures';
import { internalServer } from './local-server';

const ISSUER = '3388000000099999999';

/*
 * Issue 19, SSRF outside the webhook guard: a tenant-supplied Google service account must not steer
 * the hub's token request (POST with a signed assertion) to an address of the tenant's choice, and
 * the hub never follows a redirect there — not even from the anonymous card page that triggers it.
 */
describeEachDb('SSRF: Google Wallet token requests', (backend) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    type: 'service_account',
    private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'wallet@ssrf-test.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  let t: TestHub;
  let b: TestBusiness;
  let inner: Awaited<ReturnType<typeof internalServer>>;
  let trap: Awaited<ReturnType<typeof internalServer>>;
  let google: FakeGoogleWallet;

  beforeAll(async () => {
    inner = await internalServer();
    // The "token endpoint" a tenant names: it answers with a redirect to another internal service.
    trap = await internalServer((_q, r) => {
      r.writeHead(302, { location: `${inner.url}/internal/admin` });
      r.end();
    });
    google = new FakeGoogleWallet({ issuerId: ISSUER, account });
    google.install();
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test' } });
    b = await t.business('SSRF Café');
  });
  afterAll(async () => {
    await t.close();
    google.uninstall();
    await inner.close();
    await trap.close();
  });

  it('refuses a service account whose token_uri is not Google’s (422 naming the field)', async () => {
    for (const token_uri of [`${trap.url}/token`, 'http://169.254.169.254/computeMetadata/v1/token', 'https://oauth2.attacker.example/token']) {
      const res = await t.http
        .put('/v1/admin/wallet/google')
        .set('Cookie', b.ownerCookie)
        .send({ issuerId: ISSUER, serviceAccount: JSON.stringify({ ...account, token_uri }) });
      expect([res.status, res.body.code]).toEqual([422, 'invalid_service_account']);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'serviceAccount.token_uri' })]);
    }
    expect((await t.http.get('/v1/admin/wallet/google').set('Cookie', b.ownerCookie).expect(200)).body).toMatchObject({ configured: false });
    expect(trap.hits).toEqual([]);
  });

  it('the anonymous card page never reaches 127.0.0.1 through a stored token_uri, nor follows its redirect', async () => {
    // A key stored before token_uri was checked (written straight to the table, as an old hub did).
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
    const program = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5 }, levels: [{ code: 'base', name: 'Base', threshold: 0 }] });
    const { card } = await l.guestWithCard(program.id);
    const links = await cardLinks(t, b, card.id);
    // No cookie, no key: what anyone holding the card link can request.
    const res = await t.http.get(pathOf(links.googleSaveUrl!));
    expect(trap.hits).toEqual([]);
    expect(inner.hits).toEqual([]);
    // The token came from Google's own endpoint (the fake), so the guest still gets the save link.
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);
    expect(google.tokensIssued.size).toBeGreaterThanOrEqual(1);
  });
});
