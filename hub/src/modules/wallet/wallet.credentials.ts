import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import type { Ctx } from '../../shared/context';
import { notFound, Problem } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import type { z } from 'zod';
import type { ApnsAuth } from './wallet.apns';
import { certificateFingerprint, checkApnsKey, checkPassCertificate, type PassCertificate, readP12, signPass, verifyPass } from './wallet.apple';
import { GoogleWalletClient, serviceAccountFingerprint, tokenUriProblem, verifySaveJwt } from './wallet.google';
import { defaultIcon } from './wallet.images';
import { AppleAccount, GoogleAccount } from './wallet.entity';
import { appleAccountBody, googleAccountBody, serviceAccountKey, type ServiceAccountKey } from './wallet.schemas';
import type { WalletDeps } from './wallet.service';

/** What signs a business's Apple passes (the key opened from its sealed copy). */
export interface AppleCreds {
  passTypeId: string;
  teamId: string;
  certPem: string;
  keyPem: string;
  wwdrPem: string;
  apns: ApnsAuth | null;
}

/** The console warns this many days before the Pass Type ID certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** Days left on a certificate and whether the console should warn (30 days before) or it has expired. */
export function expiryState(notAfter: Date | null, now = new Date()): { daysLeft: number | null; expiresSoon: boolean; expired: boolean } {
  if (!notAfter) return { daysLeft: null, expiresSoon: false, expired: false };
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const expired = notAfter.getTime() <= now.getTime();
  return { daysLeft: Math.max(0, daysLeft), expired, expiresSoon: !expired && daysLeft < EXPIRY_WARNING_DAYS };
}

const readFile = (file: string | undefined) => (file ? fs.readFileSync(file, 'utf8') : undefined);

/**
 * The wallet settings of a business: the Pass Type ID certificate (with the WWDR intermediate and
 * an optional APNs key) and the Google Wallet issuer with its service account. Keys are checked on
 * upload, sealed at rest with the hub secret, and never returned (a fingerprint at most). The
 * "test pass" signs one pass with what is on file and verifies it locally.
 */
export class WalletCredentials {
  readonly hubWwdr?: string;
  readonly hubApns?: ApnsAuth;
  private readonly hubGoogle?: { issuerId: string; account: ServiceAccountKey };
  private googleClients = new Map<string, { client: GoogleWalletClient; stamp: string }>();
  private appleCache = new Map<string, { creds: AppleCreds | null; at: number }>();

  constructor(private readonly d: WalletDeps) {
    const c = d.config;
    this.hubWwdr = readFile(c.APPLE_WWDR_CERT_FILE);
    const hubKey = readFile(c.APNS_KEY_FILE);
    if (hubKey && c.APNS_KEY_ID && c.APNS_TEAM_ID) this.hubApns = { keyPem: checkApnsKey(hubKey), keyId: c.APNS_KEY_ID, teamId: c.APNS_TEAM_ID };
    const sa = readFile(c.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE);
    if (sa && c.GOOGLE_WALLET_ISSUER_ID) this.hubGoogle = { issuerId: c.GOOGLE_WALLET_ISSUER_ID, account: serviceAccountKey.parse(JSON.parse(sa)) };
  }

  /** Outbound guard for Google calls: private targets only when the operator allows them (CONNECTORS_ALLOW_PRIVATE). */
  get outbound(): { allowPrivate: boolean } {
    return { allowPrivate: !!(this.d.config.CONNECTORS_ALLOW_PRIVATE || this.d.config.WEBHOOKS_ALLOW_PRIVATE) };
  }

  async appleAccount(ctx: Ctx) {
    const row = await this.d.db.manager.getRepository(AppleAccount).findOneBy({ businessId: ctx.businessId });
    const expiry = expiryState(row?.notAfter ?? null);
    return {
      configured: !!row,
      passTypeId: row?.passTypeId ?? null,
      teamId: row?.teamId ?? null,
      subject: row?.subject ?? null,
      notAfter: row?.notAfter ?? null,
      ...expiry,
      fingerprint: row ? certificateFingerprint(row.certPem) : null,
      apnsKeyId: row?.apnsKeyId ?? null,
      pushConfigured: !!row && (!!row.apnsKeySealed || !!this.hubApns),
      wwdrConfigured: !!(row?.wwdrPem ?? this.hubWwdr),
      updatedAt: row?.updatedAt ?? null,
    };
  }

  /** Checks and stores the Pass Type ID certificate (key sealed with the hub secret, never logged or returned). */
  async setAppleAccount(ctx: Ctx, body: z.infer<typeof appleAccountBody>) {
    let certPem = body.certificatePem;
    let keyPem = body.privateKeyPem;
    let passphrase = body.privateKeyPassphrase;
    if (body.p12Base64) {
      ({ certificatePem: certPem, privateKeyPem: keyPem } = readP12(body.p12Base64, body.p12Password ?? ''));
      passphrase = undefined;
    }
    let checked: PassCertificate;
    try {
      checked = checkPassCertificate({ certPem: certPem!, keyPem: keyPem!, passphrase, wwdrPem: body.wwdrPem ?? this.hubWwdr ?? null });
    } catch (e) {
      // A .p12 upload has no certificatePem / privateKeyPem field: the refusal names the file.
      if (body.p12Base64 && e instanceof Problem && e.errors?.some((f) => /^(certificatePem|privateKeyPem|privateKeyPassphrase)$/.test(f.field)))
        throw new Problem(
          e.status,
          e.code,
          e.message,
          e.errors!.map((f) => ({ ...f, field: 'p12Base64' })),
        );
      throw e;
    }
    // Team ID and Pass Type ID, when typed in the console, must be the certificate's own.
    for (const [field, typed, actual] of [
      ['teamId', body.teamId, checked.teamId],
      ['passTypeId', body.passTypeId, checked.passTypeId],
    ] as const) {
      if (typed !== undefined && typed !== actual) {
        const message = `The certificate is for ${field === 'teamId' ? 'Team ID' : 'Pass Type ID'} ${actual}, not ${typed}`;
        throw new Problem(422, `${field === 'teamId' ? 'team_id' : 'pass_type_id'}_mismatch`, message, [{ field, message }]);
      }
    }
    const apnsKey = body.apnsKeyPem ? checkApnsKey(body.apnsKeyPem) : null;
    await inTx(this.d.db, ctx, async (tx) => {
      const repo = tx.getRepository(AppleAccount);
      const values = {
        passTypeId: checked.passTypeId,
        teamId: checked.teamId,
        certPem: checked.certPem,
        keySealed: this.d.secrets.seal(checked.keyPem),
        wwdrPem: body.wwdrPem ? checked.wwdrPem : null,
        subject: checked.subject,
        notAfter: checked.notAfter,
        ...(apnsKey ? { apnsKeyId: body.apnsKeyId!, apnsKeySealed: this.d.secrets.seal(apnsKey) } : {}),
      };
      const row = await repo.findOneBy({ businessId: ctx.businessId });
      if (row) await repo.update({ id: row.id }, values);
      else await repo.insert(repo.create({ businessId: ctx.businessId, apnsKeyId: null, apnsKeySealed: null, ...values }));
      await this.d.audit.record(ctx, tx, {
        action: 'wallet.apple_certificate_uploaded',
        targetType: 'business',
        targetId: ctx.businessId,
        after: { passTypeId: checked.passTypeId, teamId: checked.teamId, notAfter: checked.notAfter, apnsKeyId: body.apnsKeyId ?? null },
      });
    });
    this.appleCache.delete(ctx.businessId);
    return this.appleAccount(ctx);
  }

  async deleteAppleAccount(ctx: Ctx): Promise<void> {
    await inTx(this.d.db, ctx, async (tx) => {
      const r = await tx.getRepository(AppleAccount).delete({ businessId: ctx.businessId });
      if (!r.affected) throw notFound('Apple Wallet certificate');
      await this.d.audit.record(ctx, tx, { action: 'wallet.apple_certificate_deleted', targetType: 'business', targetId: ctx.businessId });
    });
    this.appleCache.delete(ctx.businessId);
  }

  /** The business's signing material, opened (cached 30 s); null when Apple Wallet is not set up. */
  async appleCreds(businessId: string): Promise<AppleCreds | null> {
    const hit = this.appleCache.get(businessId);
    if (hit && Date.now() - hit.at < 30_000) return hit.creds;
    const row = await this.d.db.manager.getRepository(AppleAccount).findOneBy({ businessId });
    let creds: AppleCreds | null = null;
    if (row) {
      const wwdrPem = row.wwdrPem ?? this.hubWwdr;
      if (wwdrPem) {
        creds = {
          passTypeId: row.passTypeId,
          teamId: row.teamId,
          certPem: row.certPem,
          keyPem: this.d.secrets.open(row.keySealed),
          wwdrPem,
          apns:
            row.apnsKeySealed && row.apnsKeyId
              ? { teamId: row.teamId, keyId: row.apnsKeyId, keyPem: this.d.secrets.open(row.apnsKeySealed) }
              : (this.hubApns ?? null),
        };
      }
    }
    if (this.appleCache.size > 5000) this.appleCache.clear();
    this.appleCache.set(businessId, { creds, at: Date.now() });
    return creds;
  }

  async googleAccount(ctx: Ctx) {
    const row = await this.d.db.manager.getRepository(GoogleAccount).findOneBy({ businessId: ctx.businessId });
    if (row) {
      const sa = JSON.parse(this.d.secrets.open(row.keySealed)) as ServiceAccountKey;
      return {
        configured: true,
        issuerId: row.issuerId,
        clientEmail: row.clientEmail,
        source: 'business' as const,
        keyFingerprint: serviceAccountFingerprint(sa.private_key),
        privateKeyId: sa.private_key_id ?? null,
        updatedAt: row.updatedAt ?? null,
      };
    }
    if (this.hubGoogle)
      return {
        configured: true,
        issuerId: this.hubGoogle.issuerId,
        clientEmail: this.hubGoogle.account.client_email,
        source: 'hub' as const,
        keyFingerprint: serviceAccountFingerprint(this.hubGoogle.account.private_key),
        privateKeyId: this.hubGoogle.account.private_key_id ?? null,
        updatedAt: null,
      };
    return { configured: false, issuerId: null, clientEmail: null, source: 'none' as const, keyFingerprint: null, privateKeyId: null, updatedAt: null };
  }

  async setGoogleAccount(ctx: Ctx, body: z.infer<typeof googleAccountBody>) {
    let raw: unknown = body.serviceAccount;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        throw new Problem(400, 'invalid_service_account', 'The service account key is not JSON', [
          { field: 'serviceAccount', message: 'Paste the JSON key file' },
        ]);
      }
    }
    const parsed = serviceAccountKey.safeParse(raw);
    if (!parsed.success)
      throw new Problem(400, 'invalid_service_account', 'The service account key lacks client_email or private_key', [
        { field: `serviceAccount.${parsed.error.issues[0]?.path.join('.') || 'client_email'}`, message: 'Not a service account key' },
      ]);
    const badUri = tokenUriProblem(parsed.data.token_uri);
    if (badUri) throw new Problem(422, 'invalid_service_account', badUri, [{ field: 'serviceAccount.token_uri', message: badUri }]);
    try {
      const k = createPrivateKey(parsed.data.private_key);
      if (k.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    } catch {
      throw new Problem(422, 'invalid_service_account', 'The service account private key cannot be read', [
        { field: 'serviceAccount.private_key', message: 'Not an RSA private key' },
      ]);
    }
    const sa = {
      client_email: parsed.data.client_email,
      private_key: parsed.data.private_key,
      private_key_id: parsed.data.private_key_id,
      token_uri: parsed.data.token_uri,
    };
    await inTx(this.d.db, ctx, async (tx) => {
      const repo = tx.getRepository(GoogleAccount);
      const values = { issuerId: body.issuerId, clientEmail: sa.client_email, keySealed: this.d.secrets.seal(JSON.stringify(sa)) };
      const row = await repo.findOneBy({ businessId: ctx.businessId });
      if (row) await repo.update({ id: row.id }, values);
      else await repo.insert(repo.create({ businessId: ctx.businessId, ...values }));
      await this.d.audit.record(ctx, tx, {
        action: 'wallet.google_account_set',
        targetType: 'business',
        targetId: ctx.businessId,
        after: { issuerId: body.issuerId, clientEmail: sa.client_email },
      });
    });
    this.googleClients.delete(ctx.businessId);
    return this.googleAccount(ctx);
  }

  async deleteGoogleAccount(ctx: Ctx): Promise<void> {
    await inTx(this.d.db, ctx, async (tx) => {
      const r = await tx.getRepository(GoogleAccount).delete({ businessId: ctx.businessId });
      if (!r.affected) throw notFound('Google Wallet account');
      await this.d.audit.record(ctx, tx, { action: 'wallet.google_account_deleted', targetType: 'business', targetId: ctx.businessId });
    });
    this.googleClients.delete(ctx.businessId);
  }

  /** The business's Google Wallet client (its own account, else the hub's); null when none. */
  async google(businessId: string): Promise<GoogleWalletClient | null> {
    const row = await this.d.db.manager.getRepository(GoogleAccount).findOneBy({ businessId });
    const stamp = row ? `${row.id}:${row.updatedAt?.getTime()}` : 'hub';
    const hit = this.googleClients.get(businessId);
    if (hit && hit.stamp === stamp) return hit.client;
    let client: GoogleWalletClient | null = null;
    if (row)
      client = new GoogleWalletClient(
        { issuerId: row.issuerId, account: JSON.parse(this.d.secrets.open(row.keySealed)) },
        this.d.config.GOOGLE_WALLET_API_URL,
        this.outbound,
      );
    else if (this.hubGoogle) client = new GoogleWalletClient(this.hubGoogle, this.d.config.GOOGLE_WALLET_API_URL, this.outbound);
    if (client) this.googleClients.set(businessId, { client, stamp });
    return client;
  }

  async requireApple(businessId: string): Promise<AppleCreds> {
    const creds = await this.appleCreds(businessId);
    if (!creds) throw new Problem(409, 'apple_wallet_not_configured', 'Apple Wallet is not set up for this business: upload the Pass Type ID certificate');
    return creds;
  }

  async availability(ctx: Ctx): Promise<{ apple: boolean; google: boolean }> {
    const [apple, google] = await Promise.all([this.appleCreds(ctx.businessId), this.google(ctx.businessId)]);
    return { apple: !!apple, google: !!google };
  }

  /** Both wallets at once, for the console's settings and the card designer's warning. */
  async status(ctx: Ctx) {
    const [apple, google] = await Promise.all([this.appleAccount(ctx), this.googleAccount(ctx)]);
    return { apple, google, configured: apple.configured || google.configured };
  }

  /**
   * Signs a sample pass with the certificate on file and opens it again as Wallet would: the
   * manifest's SHA-1s and the PKCS#7 signature (by the certificate, issued by the WWDR). Nothing
   * is stored and no guest's card is involved.
   */
  async testApplePass(ctx: Ctx) {
    const creds = await this.requireApple(ctx.businessId);
    const business = await this.d.tenants.getBusiness(ctx);
    const serial = `test-${Date.now().toString(36)}`;
    const passJson = {
      formatVersion: 1,
      passTypeIdentifier: creds.passTypeId,
      teamIdentifier: creds.teamId,
      serialNumber: serial,
      organizationName: business.name,
      description: `${business.name} test pass`,
      backgroundColor: 'rgb(30, 30, 46)',
      foregroundColor: 'rgb(255, 255, 255)',
      storeCard: { primaryFields: [{ key: 'balance', label: 'Test', value: 0 }] },
      barcodes: [{ format: 'PKBarcodeFormatQR', message: serial, messageEncoding: 'iso-8859-1' }],
    };
    const files = { 'icon.png': defaultIcon(29, '#1E1E2E', '#FFFFFF'), 'icon@2x.png': defaultIcon(58, '#1E1E2E', '#FFFFFF') };
    const body = signPass({ passJson, files, certPem: creds.certPem, keyPem: creds.keyPem, wwdrPem: creds.wwdrPem });
    const check = verifyPass(body, { certPem: creds.certPem, wwdrPem: creds.wwdrPem });
    return {
      platform: 'apple' as const,
      ok: check.problems.length === 0,
      problems: check.problems,
      details: { serial, bytes: body.length, files: check.files, signedBy: check.signer?.subject ?? null },
    };
  }

  /** Signs a "Save to Google Wallet" JWT with the service account key and verifies it locally (no call to Google). */
  async testGooglePass(ctx: Ctx) {
    const client = await this.google(ctx.businessId);
    if (!client) throw new Problem(409, 'google_wallet_not_configured', 'Google Wallet is not set up for this business');
    const issuerId = client.creds.issuerId;
    const serial = `test-${Date.now().toString(36)}`;
    const url = client.saveUrl('loyalty', [{ id: `${issuerId}.${serial}`, classId: `${issuerId}.test` }], [new URL(this.d.config.publicUrl).origin]);
    const jwt = url.slice(url.lastIndexOf('/') + 1);
    const check = verifySaveJwt(jwt, client.creds.account);
    return {
      platform: 'google' as const,
      ok: check.problems.length === 0,
      problems: check.problems,
      details: { serial, bytes: jwt.length, files: [], signedBy: client.creds.account.client_email },
    };
  }
}
