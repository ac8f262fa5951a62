import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { verifyPass } from '../../src/modules/wallet/wallet.apple';
import { binary } from './wallet-fixtures';

const PASS_TYPE = 'pass.com.example.settings';
const TEAM = 'TEAMSET123';
const WS = '/v1/wallet/apple/v1';

/** openssl in the certificates' folder (the test WWDR signs a certificate with its own validity). */
const openssl = (certs: AppleTestCerts, args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: ['ignore', 'ignore', 'pipe'] });
const read = (certs: AppleTestCerts, name: string) => fs.readFileSync(path.join(certs.dir, name));

describeEachDb('Wallet settings from the console', (backend) => {
  let certs: AppleTestCerts;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let p12: string;
  let soonPem: string;
  let googleKeyPem: string;

  beforeAll(async () => {
    certs = makeAppleTestCerts({ passTypeId: PASS_TYPE, teamId: TEAM });
    // The Keychain export: certificate and key in a .p12 with a password.
    openssl(certs, ['pkcs12', '-export', '-in', 'signer.pem', '-inkey', 'signer.key', '-passout', 'pass:p12-secret', '-out', 'signer.p12']);
    p12 = read(certs, 'signer.p12').toString('base64');
    // The same key certified for 10 days only: the console warns.
    openssl(certs, [
      'x509',
      '-req',
      '-in',
      'signer.csr',
      '-CA',
      'wwdr.pem',
      '-CAkey',
      'wwdr.key',
      '-CAcreateserial',
      '-out',
      'soon.pem',
      '-days',
      '10',
      '-extfile',
      'signer.ext',
    ]);
    soonPem = read(certs, 'soon.pem').toString('utf8');
    openssl(certs, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'google.key']);
    googleKeyPem = read(certs, 'google.key').toString('utf8');
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'https://hub.example.test', APPLE_WWDR_CERT_FILE: certs.wwdrFile } });
    b = await t.business('Wallet Café');
    l = loyalty(t, b);
  });
  afterAll(async () => {
    await t.close();
    certs.cleanup();
  });

  const as = (method: 'get' | 'put' | 'post', url: string) => t.http[method](url).set('Cookie', b.ownerCookie);
  const status = async () => (await as('get', '/v1/admin/wallet/status').expect(200)).body;
  const refused = async (url: string, body: unknown, want: { status: number; code?: string; field: string }) => {
    const res = await as('put', url).send(body as object);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect({ status: res.status, code: want.code ? res.body.code : undefined, fields: (res.body.errors ?? []).map((e: { field: string }) => e.field) }).toEqual(
      {
        status: want.status,
        code: want.code,
        fields: expect.arrayContaining([want.field]),
      },
    );
    expect(res.body.detail).toEqual(expect.any(String));
  };

  it('shows both wallets unconfigured and refuses a test pass until a certificate is on file', async () => {
    const s = await status();
    expect(s).toMatchObject({
      configured: false,
      smsAvailable: false,
      apple: { configured: false, fingerprint: null, expiresSoon: false },
      google: { configured: false },
    });
    const test = await as('post', '/v1/admin/wallet/apple/test-pass');
    expect([test.status, test.body.code]).toEqual([409, 'apple_wallet_not_configured']);
    expect((await as('post', '/v1/admin/wallet/google/test-pass')).status).toBe(409);
  });

  it('refuses each bad Apple upload with a problem naming the field, and keeps nothing', async () => {
    const url = '/v1/admin/wallet/apple';
    await refused(url, { p12Base64: p12, p12Password: 'wrong' }, { status: 422, code: 'invalid_p12_password', field: 'p12Password' });
    await refused(
      url,
      { p12Base64: Buffer.from('not a p12 at all').toString('base64'), p12Password: 'x' },
      { status: 422, code: 'invalid_p12', field: 'p12Base64' },
    );
    await refused(
      url,
      { certificatePem: certs.expiredCertPem, privateKeyPem: certs.signerKeyPem },
      { status: 422, code: 'certificate_expired', field: 'certificatePem' },
    );
    await refused(
      url,
      { certificatePem: certs.signerCertPem, privateKeyPem: certs.strangerKeyPem },
      { status: 422, code: 'key_mismatch', field: 'privateKeyPem' },
    );
    await refused(url, { certificatePem: 'garbage', privateKeyPem: certs.signerKeyPem }, { status: 422, code: 'invalid_certificate', field: 'certificatePem' });
    await refused(url, { p12Base64: p12, p12Password: 'p12-secret', teamId: 'OTHERTEAM1' }, { status: 422, code: 'team_id_mismatch', field: 'teamId' });
    await refused(
      url,
      { p12Base64: p12, p12Password: 'p12-secret', passTypeId: 'pass.com.example.other' },
      { status: 422, code: 'pass_type_id_mismatch', field: 'passTypeId' },
    );
    // Wrong types are the validator's 400s, each naming its field.
    await refused(url, { p12Base64: 12345, p12Password: 'p12-secret' }, { status: 400, field: 'p12Base64' });
    await refused(url, { certificatePem: certs.signerCertPem, privateKeyPem: certs.signerKeyPem, teamId: 42 }, { status: 400, field: 'teamId' });
    expect((await status()).apple.configured).toBe(false);
  });

  it('keeps a good .p12 with its Team ID and Pass Type ID; the state shows subject, expiry and a fingerprint, never the key', async () => {
    const res = await as('put', '/v1/admin/wallet/apple').send({ p12Base64: p12, p12Password: 'p12-secret', teamId: TEAM, passTypeId: PASS_TYPE }).expect(200);
    expect(res.body).toMatchObject({ configured: true, teamId: TEAM, passTypeId: PASS_TYPE, expiresSoon: false, expired: false, wwdrConfigured: true });
    const s = await status();
    expect(s.configured).toBe(true);
    expect(s.apple.subject).toContain(`UID=${PASS_TYPE}`);
    expect(s.apple.daysLeft).toBeGreaterThanOrEqual(363);
    expect(new Date(s.apple.notAfter).getTime()).toBeGreaterThan(Date.now() + 360 * 86_400_000);
    expect(s.apple.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const all = JSON.stringify(s);
    expect(all).not.toMatch(/PRIVATE KEY|p12-secret/);
    expect(all).not.toContain(p12.slice(0, 40));
  });

  it('changes nothing when a later upload is bad', async () => {
    const before = (await status()).apple;
    await refused('/v1/admin/wallet/apple', { p12Base64: p12, p12Password: 'nope' }, { status: 422, code: 'invalid_p12_password', field: 'p12Password' });
    await refused(
      '/v1/admin/wallet/apple',
      { certificatePem: soonPem, privateKeyPem: certs.strangerKeyPem },
      { status: 422, code: 'key_mismatch', field: 'privateKeyPem' },
    );
    expect((await status()).apple).toEqual(before);
  });

  it('issues and verifies a test pass with the uploaded certificate', async () => {
    const res = await as('post', '/v1/admin/wallet/apple/test-pass').expect(200);
    expect(res.body.problems).toEqual([]);
    expect(res.body).toMatchObject({ platform: 'apple', ok: true });
    expect(res.body.details.files).toEqual(expect.arrayContaining(['icon.png', 'manifest.json', 'pass.json', 'signature']));
    expect(res.body.details.signedBy).toContain(PASS_TYPE);
  });

  it('takes a PEM certificate and key; a certificate with under 30 days left is flagged', async () => {
    const res = await as('put', '/v1/admin/wallet/apple').send({ certificatePem: soonPem, privateKeyPem: certs.signerKeyPem }).expect(200);
    expect(res.body).toMatchObject({ configured: true, expiresSoon: true, expired: false });
    expect(res.body.daysLeft).toBeLessThanOrEqual(10);
    expect((await as('post', '/v1/admin/wallet/apple/test-pass').expect(200)).body.ok).toBe(true);
    await as('put', '/v1/admin/wallet/apple').send({ certificatePem: certs.signerCertPem, privateKeyPem: certs.signerKeyPem }).expect(200);
    expect((await status()).apple.expiresSoon).toBe(false);
  });

  it('refuses bad Google keys naming the field, keeps a good one and verifies a signed save link locally', async () => {
    const url = '/v1/admin/wallet/google';
    const key = { type: 'service_account', client_email: 'wallet@project.iam.gserviceaccount.com', private_key: googleKeyPem, private_key_id: 'abc123' };
    await refused(
      url,
      { issuerId: '3388000000012345678', serviceAccount: '{"client_email": "x@y.z", ' },
      { status: 400, code: 'invalid_service_account', field: 'serviceAccount' },
    );
    await refused(
      url,
      { issuerId: '3388000000012345678', serviceAccount: JSON.stringify({ client_email: 'wallet@project.iam.gserviceaccount.com' }) },
      { status: 400, code: 'invalid_service_account', field: 'serviceAccount.private_key' },
    );
    await refused(
      url,
      { issuerId: '3388000000012345678', serviceAccount: { ...key, private_key: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' } },
      { status: 422, code: 'invalid_service_account', field: 'serviceAccount.private_key' },
    );
    await refused(url, { issuerId: 338800000001, serviceAccount: key }, { status: 400, field: 'issuerId' });
    expect((await status()).google.configured).toBe(false);
    const res = await as('put', url)
      .send({ issuerId: '3388000000012345678', serviceAccount: JSON.stringify(key) })
      .expect(200);
    expect(res.body).toMatchObject({ configured: true, clientEmail: key.client_email, source: 'business', privateKeyId: 'abc123' });
    expect(res.body.keyFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(JSON.stringify(await status())).not.toMatch(/PRIVATE KEY/);
    const test = await as('post', '/v1/admin/wallet/google/test-pass').expect(200);
    expect(test.body).toMatchObject({ platform: 'google', ok: true, problems: [], details: { signedBy: key.client_email } });
  });

  it('tells which cards are installed in Apple Wallet, and texts the link only with an SMS provider', async () => {
    const program = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50 } });
    const { card, guest } = await l.guestWithCard(program.id);
    const other = (await l.guestWithCard(program.id)).card;
    const installs = () => as('get', `/v1/admin/wallet/installs?cardIds=${card.id},${other.id}`).expect(200);
    expect((await installs()).body.items).toEqual(
      expect.arrayContaining([
        { cardId: card.id, apple: 0, google: false },
        { cardId: other.id, apple: 0, google: false },
      ]),
    );
    const pass = await as('get', `/v1/admin/cards/${card.id}/wallet/apple.pkpass`).buffer(true).parse(binary).expect(200);
    // The check behind the test pass: a card's pass verifies; tampered or signed by another certificate, it does not.
    const body = pass.body as Buffer;
    expect(verifyPass(body, { certPem: certs.signerCertPem, wwdrPem: certs.wwdrPem }).problems).toEqual([]);
    const at = body.indexOf(Buffer.from('"formatVersion"'));
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(body);
    tampered.write('"formatVersioN"', at);
    expect(verifyPass(tampered, { certPem: certs.signerCertPem, wwdrPem: certs.wwdrPem }).problems).toEqual([expect.stringMatching(/SHA-1 of pass.json/)]);
    expect(verifyPass(body, { certPem: certs.strangerCertPem, wwdrPem: certs.wwdrPem }).problems).toEqual([
      'the pass is not signed by the uploaded certificate',
    ]);
    const authToken = t.hub.services.wallet.tokens.authToken(card.id);
    await t.http
      .post(`${WS}/devices/device-1/registrations/${PASS_TYPE}/${card.id}`)
      .set('Authorization', `ApplePass ${authToken}`)
      .send({ pushToken: 'abcdef0123' })
      .expect(201);
    expect((await installs()).body.items).toEqual(expect.arrayContaining([{ cardId: card.id, apple: 1, google: false }]));
    expect((await as('get', '/v1/admin/wallet/installs?cardIds=not-a-uuid')).status).toBe(400);

    const noSms = await as('post', `/v1/admin/cards/${card.id}/wallet/send-link`);
    expect([noSms.status, noSms.body.code]).toEqual([409, 'sms_provider_missing']);
    const sent: { to: string; text: string }[] = [];
    const deps = (t.hub.services.wallet as unknown as { d: { sms?: unknown } }).d;
    const before = deps.sms;
    deps.sms = { name: 'test', send: async (m: { to: string; text: string }) => (sent.push(m), { id: 'm1' }) };
    try {
      expect((await status()).smsAvailable).toBe(true);
      const ok = await as('post', `/v1/admin/cards/${card.id}/wallet/send-link`).expect(200);
      expect(ok.body).toEqual({ sent: true, to: `…${guest.phone.slice(-4)}` });
      expect(sent).toHaveLength(1);
      expect(sent[0]!.to).toBe(guest.phone);
      expect(sent[0]!.text).toContain(`/card/${b.businessId}/${card.id}?t=`);
    } finally {
      deps.sms = before;
    }
  });
});
