import { AppleAccount } from '../../src/modules/wallet/wallet.entity';
import { systemActor } from '../../src/shared/context';
import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import { inspectPkpass } from '../../../fixtures/src/apple/pkpass';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { binary, cardLinks, jpegHeader, pathOf, png } from './wallet-fixtures';

const PUBLIC_URL = 'https://hub.example.test';

describeEachDb('Apple Wallet passes', (backend) => {
  let certs: AppleTestCerts;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };

  beforeAll(async () => {
    certs = makeAppleTestCerts({ passTypeId: 'pass.com.example.coffee', teamId: 'TEAMID1234' });
    t = await createTestHub({ db: backend, env: { PUBLIC_URL, APPLE_WWDR_CERT_FILE: certs.wwdrFile } });
    b = await t.business('Coffee House');
    l = loyalty(t, b);
    bonus = await l.program({
      name: 'Coffee points',
      rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 1_000_000, accrualPercent: 10 },
      ],
      welcomeBonusPoints: 120,
    });
  });
  afterAll(async () => {
    await t.close();
    certs.cleanup();
  });

  const admin = (method: 'get' | 'put' | 'delete', path: string) => t.http[method](path).set('Cookie', b.ownerCookie);
  const download = (url: string) => t.http.get(pathOf(url)).buffer(true).parse(binary);

  it('refuses a wrong, expired, mismatched or unreadable certificate with a clear 422, before any is on file', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ certificatePem: certs.strangerCertPem, privateKeyPem: certs.strangerKeyPem }, 'not_issued_by_wwdr'],
      [{ certificatePem: certs.expiredCertPem, privateKeyPem: certs.signerKeyPem }, 'certificate_expired'],
      [{ certificatePem: certs.signerCertPem, privateKeyPem: certs.strangerKeyPem }, 'key_mismatch'],
      [{ certificatePem: certs.tlsCertPem, privateKeyPem: certs.tlsKeyPem }, 'not_a_pass_certificate'],
      [{ certificatePem: 'not a certificate', privateKeyPem: certs.signerKeyPem }, 'invalid_certificate'],
      [{ certificatePem: certs.signerCertPem, privateKeyPem: certs.signerKeyEncryptedPem }, 'invalid_key_passphrase'],
      [{ certificatePem: certs.signerCertPem, privateKeyPem: certs.signerKeyEncryptedPem, privateKeyPassphrase: 'wrong' }, 'invalid_key_passphrase'],
      [{ certificatePem: certs.signerCertPem, privateKeyPem: certs.signerKeyPem, apnsKeyPem: certs.signerKeyPem, apnsKeyId: 'KEYID12345' }, 'invalid_apns_key'],
    ];
    for (const [body, code] of cases) {
      const res = await admin('put', '/v1/admin/wallet/apple').send(body);
      expect({ code: res.body.code, status: res.status }).toEqual({ code, status: 422 });
      expect(res.body.detail).toEqual(expect.any(String));
    }
    const missing = await admin('put', '/v1/admin/wallet/apple').send({ certificatePem: certs.signerCertPem });
    expect(missing.status).toBe(400);
    expect((await admin('get', '/v1/admin/wallet/apple').expect(200)).body.configured).toBe(false);
    // Without a WWDR configured or uploaded the upload cannot be checked.
    const card = (await l.guestWithCard(bonus.id)).card;
    const noCert = await admin('get', `/v1/admin/cards/${card.id}/wallet/apple.pkpass`);
    expect(noCert.status).toBe(409);
    expect(noCert.body.code).toBe('apple_wallet_not_configured');
  });

  it('keeps a good certificate (passphrase-protected key) encrypted and never returns the key', async () => {
    const res = await admin('put', '/v1/admin/wallet/apple')
      .send({
        certificatePem: certs.signerCertPem,
        privateKeyPem: certs.signerKeyEncryptedPem,
        privateKeyPassphrase: certs.keyPassphrase,
        apnsKeyPem: certs.apnsKeyPem,
        apnsKeyId: certs.apnsKeyId,
      })
      .expect(200);
    expect(res.body).toMatchObject({
      configured: true,
      passTypeId: 'pass.com.example.coffee',
      teamId: 'TEAMID1234',
      apnsKeyId: certs.apnsKeyId,
      pushConfigured: true,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY/);
    const row = await t.hub.db.manager.getRepository(AppleAccount).findOneByOrFail({ businessId: b.businessId });
    expect(row.keySealed).toMatch(/^v1\./);
    expect(row.keySealed).not.toMatch(/PRIVATE KEY/);
    expect(row.apnsKeySealed).not.toMatch(/PRIVATE KEY/);
    expect(t.hub.secrets.open(row.keySealed)).toMatch(/BEGIN RSA PRIVATE KEY/);
  });

  it('checks uploaded images: not an image -> 415, wrong size -> 422, PNG and JPEG kept with their dimensions', async () => {
    const up = (slot: string, buf: Buffer) =>
      admin('put', `/v1/admin/wallet/designs/${bonus.id}/images/${slot}`).send({ contentBase64: buf.toString('base64') });
    const text = await up('logo', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg> definitely not a png'));
    expect([text.status, text.body.code]).toEqual([415, 'not_an_image']);
    const renamed = await up('icon', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from('fake')]));
    expect(renamed.status).toBe(415);
    const corrupt = png(58, 58);
    const broken = await up('icon', Buffer.concat([corrupt.subarray(0, 40), Buffer.alloc(30)]));
    expect([broken.status, broken.body.code]).toEqual([422, 'corrupt_image']);
    const tiny = await up('strip', png(100, 40));
    expect([tiny.status, tiny.body.code]).toEqual([422, 'bad_dimensions']);
    const notSquare = await up('icon', png(87, 40));
    expect(notSquare.status).toBe(422);
    const logo = await up('logo', png(320, 100)).expect(200);
    expect(logo.body).toMatchObject({ slot: 'logo', mime: 'image/png', width: 320, height: 100, usableInApplePass: true });
    const jpeg = await up('strip', jpegHeader(750, 246)).expect(200);
    expect(jpeg.body).toMatchObject({ mime: 'image/jpeg', width: 750, height: 246, usableInApplePass: false });
    await up('icon', png(58, 58)).expect(200);
    const served = await t.http.get(pathOf(logo.body.url)).buffer(true).parse(binary).expect(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect((served.body as Buffer).equals(png(320, 100))).toBe(true);
  });

  it('makes a valid signed pass: zip, manifest SHA-1s, signature verified by openssl cms against the WWDR', async () => {
    const ctx = { businessId: b.businessId, actor: systemActor('test') };
    const loc = await t.hub.services.tenants.createLocation(ctx, { name: 'Arbat', latitude: 55.7522, longitude: 37.5929 });
    await admin('put', `/v1/admin/wallet/designs/${bonus.id}`)
      .send({
        colors: { background: '#1E66F5', foreground: '#FFFFFF', label: '#DCE6FF' },
        texts: { logoText: 'Coffee Club', labels: { balance: 'Bonus' } },
        back: { rules: '5% back in points', contacts: '+7 999 123-45-67', buyPointsUrl: 'https://example.com/points', reviewUrl: 'https://example.com/review' },
        locationIds: [loc.id],
        relevantText: 'Coffee Club is around the corner',
      })
      .expect(200);
    const tooMany = await admin('put', `/v1/admin/wallet/designs/${bonus.id}`).send({ locationIds: Array.from({ length: 11 }, () => loc.id) });
    expect(tooMany.status).toBe(400);
    const { card } = await l.guestWithCard(bonus.id, { name: 'Anna' });
    const links = await cardLinks(t, b, card.id);
    expect(links.applePassUrl).toMatch(new RegExp(`^${PUBLIC_URL}/v1/public/cards/${b.businessId}/${card.id}/apple.pkpass\\?t=`));
    const res = await download(links.applePassUrl!).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.pkpass');
    expect(res.headers['last-modified']).toEqual(expect.any(String));
    const pass = inspectPkpass(res.body as Buffer, certs.wwdrPem);
    expect(pass.problems).toEqual([]);
    expect(pass.signature.output).toMatch(/Verification successful/);
    expect(Object.keys(pass.files).sort()).toEqual(['icon.png', 'icon@2x.png', 'logo@2x.png', 'manifest.json', 'pass.json', 'signature']);
    const p = pass.passJson;
    expect(p).toMatchObject({
      formatVersion: 1,
      passTypeIdentifier: 'pass.com.example.coffee',
      teamIdentifier: 'TEAMID1234',
      serialNumber: card.id,
      organizationName: 'Coffee House',
      logoText: 'Coffee Club',
      backgroundColor: 'rgb(30, 102, 245)',
      webServiceURL: `${PUBLIC_URL}/v1/wallet/apple`,
      barcodes: [{ format: 'PKBarcodeFormatQR', message: card.qr, messageEncoding: 'iso-8859-1' }],
      locations: [{ latitude: 55.7522, longitude: 37.5929, relevantText: 'Coffee Club is around the corner' }],
    });
    expect(p.authenticationToken.length).toBeGreaterThanOrEqual(16);
    expect(p.storeCard.primaryFields).toEqual([{ key: 'balance', label: 'Bonus', value: 120, changeMessage: 'Bonus: %@' }]);
    expect(p.storeCard.secondaryFields[0]).toMatchObject({ key: 'level', value: 'Base', changeMessage: 'Уровень: %@' });
    expect(p.storeCard.backFields.map((f: { key: string }) => f.key)).toEqual(['rules', 'contacts', 'buyPoints', 'review', 'cardNumber']);
    // The link is the capability: a wrong token is a 404 like a missing card.
    const wrong = links.applePassUrl!.replace(/t=[^&]+/, 't=AAAAAAAAAAAAAAAAAAAAAA');
    expect((await t.http.get(pathOf(wrong))).status).toBe(404);
  });

  it('makes passes for every card kind: storeCard with a stamps strip, money balance, coupon style', async () => {
    const designOf = async (rules: Record<string, unknown>) => (await l.program({ name: `P ${rules.kind}`, rules })).id;
    const stamp = await designOf({ kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'points', points: 10 } });
    const discount = await designOf({ kind: 'discount', discountPercent: 7 });
    const coupon = await designOf({ kind: 'coupon', discount: { type: 'percent', percent: 15 }, validTo: '2099-01-01T00:00:00+03:00' });
    const gift = await designOf({ kind: 'gift', nominalsMinor: [300000], expiryDays: 365 });
    const passFor = async (programId: string, guest = true) => {
      let cardId: string;
      if (guest) cardId = (await l.guestWithCard(programId)).card.id;
      else cardId = (await t.http.post('/v1/admin/cards').set('Cookie', b.ownerCookie).send({ programId }).expect(201)).body.id;
      const res = await t.http.get(`/v1/admin/cards/${cardId}/wallet/apple.pkpass`).set('Cookie', b.ownerCookie).buffer(true).parse(binary).expect(200);
      const check = inspectPkpass(res.body as Buffer, certs.wwdrPem);
      expect(check.problems).toEqual([]);
      return check;
    };
    const s = await passFor(stamp);
    expect(s.files['strip@2x.png']).toBeDefined();
    expect(s.passJson.storeCard.secondaryFields[0]).toMatchObject({ key: 'stamps', value: '0 / 6', changeMessage: 'Штампы: %@' });
    const d = await passFor(discount);
    expect(d.passJson.storeCard.primaryFields[0]).toMatchObject({ key: 'discount', value: '7%' });
    const c = await passFor(coupon);
    expect(c.passJson.coupon.primaryFields[0]).toMatchObject({ key: 'discount', value: '15%' });
    expect(c.passJson.storeCard).toBeUndefined();
    expect(c.passJson.expirationDate).toBe('2098-12-31T21:00:00.000Z');
    const g = await passFor(gift, false);
    expect(g.passJson.storeCard.primaryFields[0]).toMatchObject({ key: 'balance', value: 3000, currencyCode: 'RUB', changeMessage: 'Баланс: %@' });
    expect(g.passJson.expirationDate).toEqual(expect.any(String));
  });
});
