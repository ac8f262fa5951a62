import { insertRows } from '../../db/columns';
import fs from 'node:fs';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Envelope } from '@loyalty/sdk';
import type { Config } from '../../config';
import { Db, isUniqueViolation } from '../../db/db';
import type { Bus } from '../../bus/bus';
import { emit } from '../../bus/outbox';
import { systemActor, type Ctx } from '../../shared/context';
import type { SecretBox } from '../../shared/crypto';
import { badRequest, notFound, Problem, unauthorized, unprocessable } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import type { Card } from '../cards/cards.entity';
import type { CardsService } from '../cards/cards.service';
import type { GuestsService } from '../guests/guests.service';
import type { RowRef, SqlCondition } from '../guests/guests.segments';
import type { Program } from '../programs/programs.entity';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import { ApnsAuth, ApnsClient, isDeadToken } from './wallet.apns';
import { checkApnsKey, checkPassCertificate, PassTokens, readP12, signPass } from './wallet.apple';
import { GoogleApiError, GoogleWalletClient, tokenUriProblem } from './wallet.google';
import { GoogleRootKeys, verifyGoogleCallback, type GoogleCallbackBody } from './wallet.google-callbacks';
import { checkImage, defaultIcon, MAX_IMAGE_BYTES, passFileName, sha1Hex, stampsStrip } from './wallet.images';
import { AppleAccount, GoogleAccount, WalletDesignRow, WalletImage, WalletInbox, WalletPass, WalletRegistration } from './wallet.entity';
import {
  applePassJson,
  applePassToken,
  googleClass,
  googleClassId,
  googleMessageType,
  googleObject,
  googleObjectId,
  googleType,
  GOOGLE_NOTIFY_LIMIT,
  nextLastModified,
  notModifiedSince,
  PassContent,
  PassLocation,
  PassProgram,
  summaryLine,
} from './wallet.rules';
import {
  appleAccountBody,
  googleAccountBody,
  ImageSlot,
  serviceAccountKey,
  ServiceAccountKey,
  WalletDesign,
  walletDesignSchema,
  WalletDesignInput,
} from './wallet.schemas';
import type { z } from 'zod';

export interface WalletDeps {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  programs: ProgramsService;
  cards: CardsService;
  guests: GuestsService;
  secrets: SecretBox;
  hubSecret: string;
  config: Config;
  log: Logger;
  /** Asks the outbox relay to publish soon (after card.installed / card.uninstalled). */
  kick: () => void;
}

export interface ImageMeta {
  slot: ImageSlot;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  sha1: string;
  usableInApplePass: boolean;
  url: string;
}

interface AppleCreds {
  passTypeId: string;
  teamId: string;
  certPem: string;
  keyPem: string;
  wwdrPem: string;
  apns: ApnsAuth | null;
}

/** Events after which a card's passes are refreshed; `announce` events also add a Google message. */
const REFRESH_EVENTS = new Set([
  'card.balance_changed',
  'card.level_changed',
  'card.status_changed',
  'checkout.committed',
  'checkout.refunded',
  'checkout.held',
  'checkout.canceled',
]);
const ANNOUNCE_EVENTS = new Set(['card.balance_changed', 'card.level_changed']);
export const WALLET_CONSUMER = 'wallet';

const readFile = (file: string | undefined) => (file ? fs.readFileSync(file, 'utf8') : undefined);

/**
 * Apple Wallet and Google Wallet: card designs, the Pass Type ID certificate and Google service
 * account of a business, signed passes, Apple's PassKit web service, APNs pushes and Google object
 * updates whenever a card changes.
 */
export class WalletService {
  readonly apns: ApnsClient;
  readonly tokens: PassTokens;
  private readonly hubWwdr?: string;
  private readonly hubApns?: ApnsAuth;
  private readonly hubGoogle?: { issuerId: string; account: ServiceAccountKey };
  private googleClients = new Map<string, { client: GoogleWalletClient; stamp: string }>();
  private appleCache = new Map<string, { creds: AppleCreds | null; at: number }>();
  private background = new Set<Promise<unknown>>();
  /** Short-lived reads of what every pass of a program shares (design, business, venues). */
  private memo = new Map<string, { at: number; value: Promise<unknown> }>();

  private cached<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value as Promise<T>;
    const value = load();
    if (this.memo.size > 10_000) this.memo.clear();
    this.memo.set(key, { at: Date.now(), value });
    value.catch(() => this.memo.delete(key));
    return value;
  }

  private forget(prefix: string): void {
    for (const k of this.memo.keys()) if (k.startsWith(prefix)) this.memo.delete(k);
  }

  constructor(private readonly d: WalletDeps) {
    const c = d.config;
    this.tokens = new PassTokens(d.hubSecret);
    this.hubWwdr = readFile(c.APPLE_WWDR_CERT_FILE);
    const hubKey = readFile(c.APNS_KEY_FILE);
    if (hubKey && c.APNS_KEY_ID && c.APNS_TEAM_ID) this.hubApns = { keyPem: checkApnsKey(hubKey), keyId: c.APNS_KEY_ID, teamId: c.APNS_TEAM_ID };
    const sa = readFile(c.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE);
    if (sa && c.GOOGLE_WALLET_ISSUER_ID) this.hubGoogle = { issuerId: c.GOOGLE_WALLET_ISSUER_ID, account: serviceAccountKey.parse(JSON.parse(sa)) };
    this.apns = new ApnsClient({ host: c.APNS_HOST, ca: readFile(c.APNS_CA_FILE), concurrency: c.APNS_CONCURRENCY, log: d.log.child({ component: 'apns' }) });
  }

  private get publicUrl(): string {
    return this.d.config.publicUrl;
  }

  /** Outbound guard for Google calls: private targets only when the operator allows them (CONNECTORS_ALLOW_PRIVATE). */
  private get outbound(): { allowPrivate: boolean } {
    return { allowPrivate: !!(this.d.config.CONNECTORS_ALLOW_PRIVATE || this.d.config.WEBHOOKS_ALLOW_PRIVATE) };
  }

  /** Runs work after the response; `settle()` waits for it (tests, shutdown). */
  private later(p: Promise<unknown>): void {
    const t = p.catch((e) => this.d.log.warn({ err: e }, 'wallet background task failed'));
    this.background.add(t);
    void t.finally(() => this.background.delete(t));
  }

  async settle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  async close(): Promise<void> {
    await this.settle();
    await this.apns.close();
  }

  // -------------------------------------------------------------------------------------------
  // Designs and images
  // -------------------------------------------------------------------------------------------

  private async program(ctx: Ctx, programId: string, tx?: EntityManager): Promise<Program> {
    return this.d.programs.get(ctx, programId, tx);
  }

  async design(ctx: Ctx, programId: string): Promise<{ design: WalletDesign; updatedAt: Date | null }> {
    const row = await this.d.db.manager.getRepository(WalletDesignRow).findOneBy({ businessId: ctx.businessId, programId });
    return { design: walletDesignSchema.parse(row?.design ?? {}), updatedAt: row?.updatedAt ?? null };
  }

  async images(ctx: Ctx, programId: string, withData = false): Promise<WalletImage[]> {
    return this.d.db.manager.getRepository(WalletImage).find({
      where: { businessId: ctx.businessId, programId },
      ...(withData
        ? {}
        : {
            select: {
              id: true,
              businessId: true,
              programId: true,
              slot: true,
              mime: true,
              width: true,
              height: true,
              bytes: true,
              sha1: true,
              updatedAt: true,
            },
          }),
    });
  }

  imageMeta(ctx: Ctx, i: WalletImage): ImageMeta {
    return {
      slot: i.slot as ImageSlot,
      mime: i.mime,
      width: i.width,
      height: i.height,
      bytes: i.bytes,
      sha1: i.sha1,
      usableInApplePass: i.mime === 'image/png',
      url: this.imageUrl(ctx.businessId, i.programId, i.slot as ImageSlot, i.sha1),
    };
  }

  imageUrl(businessId: string, programId: string, slot: ImageSlot, version = 'default'): string {
    return `${this.publicUrl}/v1/public/wallet/images/${businessId}/${programId}/${slot}?v=${version.slice(0, 12)}`;
  }

  async designView(ctx: Ctx, programId: string) {
    await this.program(ctx, programId);
    const { design, updatedAt } = await this.design(ctx, programId);
    const images = (await this.images(ctx, programId)).map((i) => this.imageMeta(ctx, i));
    return { programId, design, images, updatedAt };
  }

  /** Saves a program's design and refreshes every pass of the program (push / PATCH). */
  async putDesign(ctx: Ctx, programId: string, input: WalletDesignInput) {
    const program = await this.program(ctx, programId);
    const design = walletDesignSchema.parse(input);
    if (design.locationIds.length) {
      const mine = new Set((await this.d.tenants.listLocations(ctx)).map((l) => l.id));
      const unknown = design.locationIds.filter((id) => !mine.has(id));
      if (unknown.length)
        throw badRequest('unknown_location', 'A location is not one of this business', [{ field: 'locationIds', message: `Unknown: ${unknown.join(', ')}` }]);
    }
    await inTx(this.d.db, ctx, async (tx) => {
      const repo = tx.getRepository(WalletDesignRow);
      const row = await repo.findOneBy({ businessId: ctx.businessId, programId });
      if (row) await repo.update({ id: row.id }, { design });
      else await repo.insert(repo.create({ businessId: ctx.businessId, programId, design }));
      await this.d.audit.record(ctx, tx, {
        action: 'wallet.design_updated',
        targetType: 'program',
        targetId: programId,
        before: row?.design ?? null,
        after: design,
      });
    });
    this.forget(`${ctx.businessId}:`);
    this.later(this.refreshProgram(ctx, program));
    return this.designView(ctx, programId);
  }

  /** Stores an image after checking it is a real PNG/JPEG of the slot's dimensions. */
  async putImage(ctx: Ctx, programId: string, slot: ImageSlot, base64: string): Promise<ImageMeta> {
    const program = await this.program(ctx, programId);
    const buf = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
    if (buf.length > MAX_IMAGE_BYTES) throw new Problem(413, 'image_too_large', `An image may be at most ${MAX_IMAGE_BYTES / 1024} KB`);
    const check = await checkImage(buf, slot);
    if (!check.ok)
      throw new Problem(check.code === 'not_an_image' ? 415 : 422, check.code, check.message, [{ field: 'contentBase64', message: check.message }]);
    const row = await inTx(this.d.db, ctx, async (tx) => {
      const repo = tx.getRepository(WalletImage);
      const existing = await repo.findOneBy({ businessId: ctx.businessId, programId, slot });
      const values = { mime: check.mime, width: check.width, height: check.height, bytes: buf.length, sha1: sha1Hex(buf), data: buf.toString('base64') };
      let out: WalletImage;
      if (existing) {
        await repo.update({ id: existing.id }, values);
        out = Object.assign(existing, values);
      } else {
        out = repo.create({ businessId: ctx.businessId, programId, slot, ...values });
        await repo.insert(out);
      }
      await this.d.audit.record(ctx, tx, {
        action: 'wallet.image_uploaded',
        targetType: 'program',
        targetId: programId,
        after: { slot, mime: check.mime, width: check.width, height: check.height, bytes: buf.length },
      });
      return out;
    });
    this.imageCache.delete(programId);
    this.later(this.refreshProgram(ctx, program));
    return this.imageMeta(ctx, row);
  }

  async deleteImage(ctx: Ctx, programId: string, slot: ImageSlot): Promise<void> {
    const program = await this.program(ctx, programId);
    await inTx(this.d.db, ctx, async (tx) => {
      const r = await tx.getRepository(WalletImage).delete({ businessId: ctx.businessId, programId, slot });
      if (!r.affected) throw notFound('Image');
      await this.d.audit.record(ctx, tx, { action: 'wallet.image_deleted', targetType: 'program', targetId: programId, before: { slot } });
    });
    this.imageCache.delete(programId);
    this.later(this.refreshProgram(ctx, program));
  }

  /** An image for the public route (Google fetches logos): the upload, or a generated default. */
  async publicImage(businessId: string, programId: string, slot: ImageSlot): Promise<{ mime: string; body: Buffer; etag: string }> {
    const ctx: Ctx = { businessId, actor: systemActor('wallet') };
    const row = await this.d.db.manager.getRepository(WalletImage).findOneBy({ businessId, programId, slot });
    if (row) return { mime: row.mime, body: Buffer.from(row.data, 'base64'), etag: row.sha1 };
    if (slot === 'strip') throw notFound('Image');
    await this.program(ctx, programId);
    const { design } = await this.design(ctx, programId);
    const body = defaultIcon(slot === 'icon' ? 87 : 150, design.colors.background, design.colors.foreground);
    return { mime: 'image/png', body, etag: sha1Hex(body) };
  }

  private imageCache = new Map<string, { at: number; images: WalletImage[] }>();
  private async passImages(ctx: Ctx, programId: string): Promise<WalletImage[]> {
    const hit = this.imageCache.get(programId);
    if (hit && Date.now() - hit.at < 5000) return hit.images;
    const images = (await this.images(ctx, programId, true)).filter((i) => i.mime === 'image/png');
    if (this.imageCache.size > 1000) this.imageCache.clear();
    this.imageCache.set(programId, { at: Date.now(), images });
    return images;
  }

  // -------------------------------------------------------------------------------------------
  // Credentials
  // -------------------------------------------------------------------------------------------

  async appleAccount(ctx: Ctx) {
    const row = await this.d.db.manager.getRepository(AppleAccount).findOneBy({ businessId: ctx.businessId });
    return {
      configured: !!row,
      passTypeId: row?.passTypeId ?? null,
      teamId: row?.teamId ?? null,
      subject: row?.subject ?? null,
      notAfter: row?.notAfter ?? null,
      apnsKeyId: row?.apnsKeyId ?? null,
      pushConfigured: !!row && (!!row.apnsKeySealed || !!this.hubApns),
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
    const checked = checkPassCertificate({ certPem: certPem!, keyPem: keyPem!, passphrase, wwdrPem: body.wwdrPem ?? this.hubWwdr ?? null });
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

  private async appleCreds(businessId: string): Promise<AppleCreds | null> {
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
    if (row) return { configured: true, issuerId: row.issuerId, clientEmail: row.clientEmail, source: 'business' as const };
    if (this.hubGoogle)
      return { configured: true, issuerId: this.hubGoogle.issuerId, clientEmail: this.hubGoogle.account.client_email, source: 'hub' as const };
    return { configured: false, issuerId: null, clientEmail: null, source: 'none' as const };
  }

  async setGoogleAccount(ctx: Ctx, body: z.infer<typeof googleAccountBody>) {
    let raw: unknown = body.serviceAccount;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        throw badRequest('invalid_service_account', 'The service account key is not JSON', [{ field: 'serviceAccount', message: 'Paste the JSON key file' }]);
      }
    }
    const parsed = serviceAccountKey.safeParse(raw);
    if (!parsed.success)
      throw badRequest('invalid_service_account', 'The service account key lacks client_email or private_key', [
        { field: 'serviceAccount', message: 'Not a service account key' },
      ]);
    const badUri = tokenUriProblem(parsed.data.token_uri);
    if (badUri) throw new Problem(422, 'invalid_service_account', badUri, [{ field: 'serviceAccount.token_uri', message: badUri }]);
    try {
      const k = (await import('node:crypto')).createPrivateKey(parsed.data.private_key);
      if (k.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    } catch {
      throw unprocessable('invalid_service_account', 'The service account private key cannot be read');
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

  private async google(businessId: string): Promise<GoogleWalletClient | null> {
    const row = await this.d.db.manager.getRepository(GoogleAccount).findOneBy({ businessId });
    const stamp = row ? `${row.id}:${row.updatedAt?.getTime()}` : 'hub';
    const hit = this.googleClients.get(businessId);
    if (hit && hit.stamp === stamp) return hit.client;
    let client: GoogleWalletClient | null = null;
    if (row)
      client = new GoogleWalletClient({ issuerId: row.issuerId, account: JSON.parse(this.d.secrets.open(row.keySealed)) }, this.d.config.GOOGLE_WALLET_API_URL, this.outbound);
    else if (this.hubGoogle) client = new GoogleWalletClient(this.hubGoogle, this.d.config.GOOGLE_WALLET_API_URL, this.outbound);
    if (client) this.googleClients.set(businessId, { client, stamp });
    return client;
  }

  // -------------------------------------------------------------------------------------------
  // Pass content
  // -------------------------------------------------------------------------------------------

  private async locations(ctx: Ctx, design: WalletDesign): Promise<PassLocation[]> {
    const all = await this.d.tenants.listLocations(ctx);
    const chosen = design.locationIds.length ? all.filter((l) => design.locationIds.includes(l.id)) : all.filter((l) => l.active);
    return chosen
      .filter((l) => l.latitudeE6 !== null && l.longitudeE6 !== null)
      .slice(0, 10)
      .map((l) => ({ latitude: l.latitudeE6! / 1e6, longitude: l.longitudeE6! / 1e6, name: l.name }));
  }

  async content(ctx: Ctx, card: Card, tx?: EntityManager): Promise<PassContent> {
    const program = await this.program(ctx, card.programId, tx);
    const [business, view, { design: stored }] = await Promise.all([
      this.cached(`${ctx.businessId}:business`, 5000, () => this.d.tenants.getBusiness(ctx)),
      this.d.cards.view(ctx, card, program, tx),
      this.cached(`${ctx.businessId}:design:${card.programId}`, 5000, () => this.design(ctx, card.programId)),
    ]);
    let guestName: string | null = null;
    if (card.guestId) guestName = (await this.d.guests.get(ctx, card.guestId, tx).catch(() => null))?.name ?? null;
    // The after-visit review page (issue 09) is on every pass's back unless the owner linked another.
    const design = stored.back.reviewUrl ? stored : { ...stored, back: { ...stored.back, reviewUrl: `${this.publicUrl}/review/${ctx.businessId}?ch=pass` } };
    return {
      business: { name: business.name, locale: business.locale, currency: business.currency },
      program: { id: program.id, name: program.name, kind: program.kind, rules: program.rules, levels: program.levels } as PassProgram,
      card: view,
      guestName,
      design,
      locations: await this.cached(`${ctx.businessId}:locations:${card.programId}`, 5000, () => this.locations(ctx, design)),
    };
  }

  private async passFiles(ctx: Ctx, c: PassContent): Promise<Record<string, Buffer>> {
    const files: Record<string, Buffer> = {};
    const images = await this.passImages(ctx, c.program.id);
    const icon = images.find((i) => i.slot === 'icon');
    if (icon) {
      const b = Buffer.from(icon.data, 'base64');
      files['icon.png'] = b;
      files['icon@2x.png'] = b;
    } else {
      files['icon.png'] = defaultIcon(29, c.design.colors.background, c.design.colors.foreground);
      files['icon@2x.png'] = defaultIcon(58, c.design.colors.background, c.design.colors.foreground);
    }
    const logo = images.find((i) => i.slot === 'logo');
    if (logo) files[passFileName('logo', logo.width)] = Buffer.from(logo.data, 'base64');
    if (c.program.kind === 'stamp') {
      files['strip@2x.png'] = stampsStrip(c.card.stampsGoal ?? 0, c.card.stamps, c.design.colors);
    } else {
      const strip = images.find((i) => i.slot === 'strip');
      if (strip) files[passFileName('strip', strip.width)] = Buffer.from(strip.data, 'base64');
    }
    return files;
  }

  /** The pass row of a card on a platform, created on first use. */
  private async ensurePass(ctx: Ctx, card: Card, platform: 'apple' | 'google', serial: string, typeId: string): Promise<WalletPass> {
    const repo = this.d.db.manager.getRepository(WalletPass);
    const found = await repo.findOneBy({ businessId: ctx.businessId, cardId: card.id, platform });
    if (found) {
      if (found.typeId !== typeId) {
        await repo.update({ id: found.id }, { typeId });
        found.typeId = typeId;
      }
      return found;
    }
    const now = new Date();
    const row = repo.create({
      businessId: ctx.businessId,
      cardId: card.id,
      programId: card.programId,
      platform,
      serial,
      typeId,
      touchedAt: now,
      lastModified: nextLastModified(null, now),
      notifyLog: null,
    });
    try {
      await repo.insert(row);
      return row;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return (await repo.findOneBy({ businessId: ctx.businessId, cardId: card.id, platform }))!;
    }
  }

  private async requireApple(businessId: string): Promise<AppleCreds> {
    const creds = await this.appleCreds(businessId);
    if (!creds) throw new Problem(409, 'apple_wallet_not_configured', 'Apple Wallet is not set up for this business: upload the Pass Type ID certificate');
    return creds;
  }

  private async signCard(ctx: Ctx, card: Card, creds: AppleCreds): Promise<Buffer> {
    const c = await this.content(ctx, card);
    const passJson = applePassJson(c, {
      passTypeId: creds.passTypeId,
      teamId: creds.teamId,
      serial: card.id,
      authToken: this.tokens.authToken(card.id),
      webServiceUrl: `${this.publicUrl}/v1/wallet/apple`,
    });
    return signPass({ passJson, files: await this.passFiles(ctx, c), certPem: creds.certPem, keyPem: creds.keyPem, wwdrPem: creds.wwdrPem });
  }

  /** The signed `.pkpass` of a card (the download from the card page or the console). */
  async applePass(ctx: Ctx, cardId: string): Promise<{ body: Buffer; lastModified: Date }> {
    // The card is looked up first, so a card of another business is simply not found.
    const card = await this.d.cards.get(ctx, cardId);
    const creds = await this.requireApple(ctx.businessId);
    if (card.status === 'deleted') throw new Problem(410, 'card_deleted', 'This card was deleted');
    const row = await this.ensurePass(ctx, card, 'apple', card.id, creds.passTypeId);
    return { body: await this.signCard(ctx, card, creds), lastModified: row.lastModified };
  }

  /** Creates (or refreshes) the card's Google object and returns the "Save to Google Wallet" link. */
  async googleSaveUrl(ctx: Ctx, cardId: string): Promise<string> {
    const card = await this.d.cards.get(ctx, cardId);
    const client = await this.google(ctx.businessId);
    if (!client) throw new Problem(409, 'google_wallet_not_configured', 'Google Wallet is not set up for this business');
    if (card.status === 'deleted') throw new Problem(410, 'card_deleted', 'This card was deleted');
    const c = await this.content(ctx, card);
    const issuerId = client.creds.issuerId;
    const type = googleType(c.program.kind);
    const urls = this.googleUrls(ctx, c);
    try {
      await client.upsertClass(type, googleClass(c, issuerId, urls));
      await client.insertObject(type, googleObject(c, issuerId, urls, new Date()));
    } catch (e) {
      if (e instanceof GoogleApiError) {
        this.d.log.warn({ err: e, businessId: ctx.businessId }, 'Google Wallet refused a class or object');
        throw new Problem(502, 'google_wallet_error', 'Google Wallet did not accept the card; try again later');
      }
      throw e;
    }
    await this.ensurePass(ctx, card, 'google', googleObjectId(issuerId, card.id), googleClassId(issuerId, card.programId));
    return client.saveUrl(
      type,
      [{ id: googleObjectId(issuerId, card.id), classId: googleClassId(issuerId, card.programId) }],
      [new URL(this.publicUrl).origin],
    );
  }

  private googleUrls(ctx: Ctx, c: PassContent) {
    // Google tells us when a guest saves or deletes the pass (the funnel's Google installs).
    return { logoUrl: this.imageUrl(ctx.businessId, c.program.id, 'logo'), callbackUrl: `${this.publicUrl}/v1/wallet/google/callbacks/${ctx.businessId}` };
  }

  private rootKeys?: GoogleRootKeys;
  /** Google's root signing keys (tests put a fake's in place). */
  googleRootKeys(): GoogleRootKeys {
    return (this.rootKeys ??= new GoogleRootKeys(undefined, this.outbound));
  }

  /**
   * A save / delete callback of Google Wallet (signature verified, see wallet.google-callbacks):
   * a save registers the object like an Apple device registration (`deviceLibraryId` = `google`),
   * so installs, segments and the funnel count it; a delete removes it. Repeats change nothing.
   */
  async googleCallback(businessId: string, body: GoogleCallbackBody): Promise<{ result: 'saved' | 'deleted' | 'ignored' }> {
    const client = await this.google(businessId);
    if (!client) throw new Problem(404, 'google_wallet_not_configured', 'Google Wallet is not set up for this business');
    let verdict = verifyGoogleCallback(body, client.creds.issuerId, await this.googleRootKeys().get());
    // Google may have rotated its keys since they were fetched.
    if (!verdict.ok && verdict.reason.includes('root key')) verdict = verifyGoogleCallback(body, client.creds.issuerId, await this.googleRootKeys().get(true));
    if (!verdict.ok) {
      this.d.log.warn({ businessId, reason: verdict.reason }, 'Google Wallet callback refused');
      throw new Problem(401, 'invalid_signature', 'The callback signature does not verify');
    }
    const m = verdict.message;
    const row = await this.d.db.manager.getRepository(WalletPass).findOneBy({ platform: 'google', serial: m.objectId, businessId });
    if (!row) return { result: 'ignored' };
    if (m.eventType === 'del') {
      await this.removeRegistrations(row, { deviceLibraryId: 'google' }, 'google');
      return { result: 'deleted' };
    }
    const ctx: Ctx = { businessId, actor: systemActor('google-wallet') };
    const created = await this.d.db
      .transaction(async (tx) => {
        const repo = tx.getRepository(WalletRegistration);
        if (await repo.existsBy({ deviceLibraryId: 'google', passTypeId: row.typeId, serial: row.serial })) return false;
        const before = await repo.countBy({ passTypeId: row.typeId, serial: row.serial });
        await repo.insert(repo.create({ businessId, cardId: row.cardId, deviceLibraryId: 'google', passTypeId: row.typeId, serial: row.serial, pushToken: '' }));
        if (before === 0) await this.emitInstall(ctx, tx, row, 'card.installed', 1, 'google');
        return true;
      })
      .catch((e) => {
        if (isUniqueViolation(e)) return false;
        throw e;
      });
    if (created) this.d.kick();
    return { result: 'saved' };
  }

  /** Which wallets a business can hand cards out to. */
  /**
   * For guest segments: the outer card row is installed in a wallet, i.e. a device registered its
   * Apple pass, or Google reported a save of its object (a registration with deviceLibraryId `google`).
   */
  installedCondition(card: RowRef, key: string): SqlCondition {
    return { sql: `EXISTS (SELECT 1 FROM wallet_registrations ${key} WHERE ${key}.businessId = ${card.businessId} AND ${key}.cardId = ${card.id})`, params: {} };
  }

  /** Cards newly installed in a wallet (Apple device registrations, Google saves) in `[from, to)`: the console's Home. */
  async installsBetween(ctx: Ctx, from: Date, to: Date): Promise<number> {
    // Stored datetimes compare as UTC text on both backends (better-sqlite3 binds no Date).
    const at = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 23);
    const row = await this.d.db.manager
      .getRepository(WalletRegistration)
      .createQueryBuilder('r')
      .select('COUNT(DISTINCT r.cardId)', 'n')
      .where('r.businessId = :b AND r.createdAt >= :from AND r.createdAt < :to', { b: ctx.businessId, from: at(from), to: at(to) })
      .getRawOne<{ n: number | string }>();
    return Number(row?.n ?? 0);
  }

  async availability(ctx: Ctx): Promise<{ apple: boolean; google: boolean }> {
    const [apple, google] = await Promise.all([this.appleCreds(ctx.businessId), this.google(ctx.businessId)]);
    return { apple: !!apple, google: !!google };
  }

  /** Links of a card: its public page and, where set up, the pass download and the Google link path. */
  async cardLinks(ctx: Ctx, cardId: string) {
    await this.d.cards.get(ctx, cardId);
    const base = `${this.publicUrl}/v1/public/cards/${ctx.businessId}/${cardId}`;
    const t = this.tokens.cardAccess(cardId);
    const av = await this.availability(ctx);
    return {
      cardPageUrl: this.cardPageUrl(ctx.businessId, cardId),
      applePassUrl: av.apple ? `${base}/apple.pkpass?t=${t}` : null,
      googleSaveUrl: av.google ? `${base}/google?t=${t}` : null,
    };
  }

  /** The guest's card page (the link is the capability: it carries the card's access token). */
  cardPageUrl(businessId: string, cardId: string): string {
    return `${this.publicUrl}/card/${businessId}/${cardId}?t=${this.tokens.cardAccess(cardId)}`;
  }

  /** The card reached by a public link, when the link's token is right (else 404, like a missing card). */
  async cardByAccess(businessId: string, cardId: string, token: string | undefined): Promise<{ ctx: Ctx; card: Card }> {
    if (!token || !PassTokens.same(token, this.tokens.cardAccess(cardId))) throw notFound('Card');
    const ctx: Ctx = { businessId, actor: systemActor('card-page') };
    const card = await this.d.cards.get(ctx, cardId).catch(() => null);
    if (!card) throw notFound('Card');
    return { ctx, card };
  }

  // -------------------------------------------------------------------------------------------
  // Apple PassKit web service
  // -------------------------------------------------------------------------------------------

  private async passBySerial(passTypeId: string, serial: string): Promise<WalletPass> {
    const row = await this.d.db.manager.getRepository(WalletPass).findOneBy({ platform: 'apple', serial });
    if (!row || row.typeId !== passTypeId) throw notFound('Pass', 'pass_not_found');
    return row;
  }

  private authorize(row: WalletPass, header: string | undefined): void {
    const token = applePassToken(header);
    if (!token || !PassTokens.same(token, this.tokens.authToken(row.serial))) throw unauthorized('The ApplePass token is wrong', 'invalid_pass_token');
  }

  /** Registers a device for a pass's updates: 201 when new, 200 when it was registered already. */
  async registerDevice(deviceLibraryId: string, passTypeId: string, serial: string, auth: string | undefined, pushToken: string): Promise<201 | 200> {
    const row = await this.passBySerial(passTypeId, serial);
    this.authorize(row, auth);
    const ctx: Ctx = { businessId: row.businessId, actor: systemActor('apple-wallet') };
    const created = await this.d.db
      .transaction(async (tx) => {
        const repo = tx.getRepository(WalletRegistration);
        const existing = await repo.findOneBy({ deviceLibraryId, passTypeId, serial });
        if (existing) {
          if (existing.pushToken !== pushToken) await repo.update({ id: existing.id }, { pushToken });
          return false;
        }
        const before = await repo.countBy({ passTypeId, serial });
        await repo.insert(repo.create({ businessId: row.businessId, cardId: row.cardId, deviceLibraryId, passTypeId, serial, pushToken }));
        if (before === 0) await this.emitInstall(ctx, tx, row, 'card.installed', 1);
        return true;
      })
      .catch((e) => {
        if (isUniqueViolation(e)) return false;
        throw e;
      });
    if (created) this.d.kick();
    return created ? 201 : 200;
  }

  private async emitInstall(
    ctx: Ctx,
    tx: EntityManager,
    row: WalletPass,
    type: 'card.installed' | 'card.uninstalled',
    deviceCount: number,
    platform: 'apple' | 'google' = 'apple',
  ): Promise<void> {
    const card = await this.d.cards.get(ctx, row.cardId, tx);
    await emit(tx, row.businessId, type, { cardId: row.cardId, guestId: card.guestId, programId: row.programId, platform, deviceCount });
  }

  /** Unregisters a device (200 whether or not it was registered). */
  async unregisterDevice(deviceLibraryId: string, passTypeId: string, serial: string, auth: string | undefined): Promise<void> {
    const row = await this.passBySerial(passTypeId, serial);
    this.authorize(row, auth);
    await this.removeRegistrations(row, { deviceLibraryId });
  }

  private async removeRegistrations(row: WalletPass, where: { deviceLibraryId?: string; pushToken?: string }, platform: 'apple' | 'google' = 'apple'): Promise<void> {
    const ctx: Ctx = { businessId: row.businessId, actor: systemActor(`${platform}-wallet`) };
    const removed = await this.d.db.transaction(async (tx) => {
      const repo = tx.getRepository(WalletRegistration);
      const r = await repo.delete({ passTypeId: row.typeId, serial: row.serial, ...where });
      if (!r.affected) return false;
      const left = await repo.countBy({ passTypeId: row.typeId, serial: row.serial });
      if (left === 0) await this.emitInstall(ctx, tx, row, 'card.uninstalled', 0, platform);
      return left === 0;
    });
    if (removed) this.d.kick();
  }

  /**
   * Serial numbers of the device's passes changed after the tag (all of them without a tag), and the
   * new tag as a string; null when nothing changed (the route answers 204).
   */
  async serialsSince(deviceLibraryId: string, passTypeId: string, since?: string): Promise<{ serialNumbers: string[]; lastUpdated: string } | null> {
    const regs = await this.d.db.manager.getRepository(WalletRegistration).find({ where: { deviceLibraryId, passTypeId }, select: { serial: true } });
    if (!regs.length) return null;
    const passes = await this.d.db.manager
      .getRepository(WalletPass)
      .createQueryBuilder('p')
      .select(['p.serial', 'p.touchedAt'])
      .where('p.platform = :pl AND p.serial IN (:...serials)', { pl: 'apple', serials: regs.map((r) => r.serial) })
      .getMany();
    const tag = since && /^\d{1,16}$/.test(since) ? Number(since) : null;
    const changed = passes.filter((p) => tag === null || p.touchedAt.getTime() > tag);
    if (!changed.length) return null;
    const last = Math.max(...passes.map((p) => p.touchedAt.getTime()));
    return { serialNumbers: changed.map((p) => p.serial), lastUpdated: String(last) };
  }

  /** The latest version of a pass, or 304 when the device's copy is current. */
  async latestPass(
    passTypeId: string,
    serial: string,
    auth: string | undefined,
    ifModifiedSince: string | undefined,
  ): Promise<{ status: 200 | 304; body?: Buffer; lastModified: Date }> {
    const row = await this.passBySerial(passTypeId, serial);
    this.authorize(row, auth);
    if (notModifiedSince(row.lastModified, ifModifiedSince)) return { status: 304, lastModified: row.lastModified };
    const ctx: Ctx = { businessId: row.businessId, actor: systemActor('apple-wallet') };
    const creds = await this.requireApple(row.businessId);
    const card = await this.d.cards.get(ctx, row.cardId).catch(() => null);
    if (!card) throw notFound('Pass', 'pass_not_found');
    return { status: 200, body: await this.signCard(ctx, card, creds), lastModified: row.lastModified };
  }

  deviceLog(logs: string[]): void {
    // Debug only: anyone can post here, so these lines must not flood the info log.
    for (const l of logs.slice(0, 20)) this.d.log.debug({ component: 'apple-wallet-device' }, l.slice(0, 500));
  }

  // -------------------------------------------------------------------------------------------
  // Changes: refresh passes, push, PATCH
  // -------------------------------------------------------------------------------------------

  /** Subscribes the wallet consumer: card and checkout events refresh the card's passes. */
  async subscribe(bus: Bus): Promise<void> {
    await bus.subscribe(WALLET_CONSUMER, ['card.*', 'checkout.*'], (msg) => this.onEvent(msg), { retryDelaysMs: [1000, 5000, 30000, 120000] });
  }

  /** Handles one bus message; idempotent on the message id. */
  async onEvent(msg: Envelope): Promise<void> {
    if (!REFRESH_EVENTS.has(msg.type)) return;
    const cardId = (msg.data as { cardId?: string | null }).cardId;
    if (!cardId) return;
    // Most cards have no pass in a wallet: one indexed read and nothing else for them.
    const passes = await this.d.db.manager.getRepository(WalletPass).findBy({ businessId: msg.businessId, cardId });
    if (!passes.length) return;
    const inbox = this.d.db.manager.getRepository(WalletInbox);
    if (await inbox.countBy({ consumer: WALLET_CONSUMER, messageId: msg.id })) return;
    const ctx: Ctx = { businessId: msg.businessId, actor: systemActor('wallet') };
    await this.refreshCard(ctx, cardId, ANNOUNCE_EVENTS.has(msg.type) ? msg.id : undefined, passes);
    try {
      await insertRows(inbox, inbox.create({ consumer: WALLET_CONSUMER, messageId: msg.id }));
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
  }

  /**
   * A card changed: its Apple pass gets a new Last-Modified and a push to every registered device;
   * its Google object is PATCHed (and, for balance and level changes, gets a message).
   */
  async refreshCard(ctx: Ctx, cardId: string, announceId?: string, known?: WalletPass[]): Promise<void> {
    const passes = known ?? (await this.d.db.manager.getRepository(WalletPass).findBy({ businessId: ctx.businessId, cardId }));
    for (const p of passes) {
      if (p.platform === 'apple') await this.refreshApple(ctx, p);
      else await this.refreshGoogle(ctx, p, announceId);
    }
  }

  private async touch(p: WalletPass): Promise<void> {
    const now = new Date();
    const lastModified = nextLastModified(p.lastModified, now);
    await this.d.db.manager.getRepository(WalletPass).update({ id: p.id }, { touchedAt: now, lastModified });
    p.touchedAt = now;
    p.lastModified = lastModified;
  }

  private async refreshApple(ctx: Ctx, p: WalletPass): Promise<void> {
    await this.touch(p);
    const regs = await this.d.db.manager.getRepository(WalletRegistration).findBy({ passTypeId: p.typeId, serial: p.serial });
    if (!regs.length) return;
    const creds = await this.appleCreds(ctx.businessId);
    if (!creds?.apns) {
      this.d.log.debug({ businessId: ctx.businessId }, 'no APNs key: pass updated without a push');
      return;
    }
    await this.pushAndPurge(creds.apns, p.typeId, regs);
  }

  private async pushAndPurge(
    auth: ApnsAuth,
    topic: string,
    regs: { id: string; pushToken: string; serial: string; passTypeId: string; businessId: string }[],
  ): Promise<number> {
    const tokens = [...new Set(regs.map((r) => r.pushToken))];
    const results = await this.apns.push(auth, topic, tokens);
    const dead = new Set(results.filter(isDeadToken).map((r) => r.token));
    const failed = results.filter((r) => r.status !== 200 && !isDeadToken(r));
    if (failed.length) this.d.log.warn({ topic, failed: failed.length, reason: failed[0]!.reason ?? failed[0]!.status }, 'APNs refused some pushes');
    if (dead.size) {
      const bySerial = new Map<string, string[]>();
      for (const r of regs) if (dead.has(r.pushToken)) bySerial.set(r.serial, [...(bySerial.get(r.serial) ?? []), r.pushToken]);
      for (const [serial, toks] of bySerial) {
        const row = await this.d.db.manager.getRepository(WalletPass).findOneBy({ platform: 'apple', serial });
        if (!row) continue;
        for (const pushToken of toks) await this.removeRegistrations(row, { pushToken });
      }
    }
    return results.length - failed.length - dead.size;
  }

  private async refreshGoogle(ctx: Ctx, p: WalletPass, announceId?: string): Promise<void> {
    const client = await this.google(ctx.businessId);
    if (!client) return;
    const card = await this.d.cards.get(ctx, p.cardId).catch(() => null);
    if (!card) return;
    const c = await this.content(ctx, card);
    const type = googleType(c.program.kind);
    const now = new Date();
    await client.patchObject(type, googleObject(c, client.creds.issuerId, this.googleUrls(ctx, c), now));
    await this.touch(p);
    if (!announceId) return;
    const body = summaryLine(c);
    if (!body) return;
    const decision = googleMessageType(p.notifyLog, now);
    const message = {
      id: `lh_${announceId.replace(/[^A-Za-z0-9_-]/g, '')}`,
      header: c.design.texts.logoText ?? c.program.name,
      body,
      messageType: decision.messageType,
    };
    let log = decision.log;
    try {
      await client.addMessage(type, p.serial, message);
    } catch (e) {
      // Google counts notifications itself: past its quota the message still goes, as TEXT.
      if (!(e instanceof GoogleApiError && e.status === 429 && decision.messageType === 'TEXT_AND_NOTIFY')) throw e;
      await client.addMessage(type, p.serial, { ...message, messageType: 'TEXT' });
      log = [...decision.log, ...Array(GOOGLE_NOTIFY_LIMIT).fill(now.toISOString())].slice(-GOOGLE_NOTIFY_LIMIT);
    }
    if (decision.messageType === 'TEXT_AND_NOTIFY') {
      await this.d.db.manager.getRepository(WalletPass).update({ id: p.id }, { notifyLog: log });
      p.notifyLog = log;
    }
  }

  /**
   * A design or image changed: every Apple pass of the program gets a new Last-Modified and every
   * registered device a push (in pages); the Google class is PATCHed. Returns the pushes sent.
   */
  async refreshProgram(ctx: Ctx, program: Program): Promise<number> {
    const nowDate = new Date();
    const nowSec = new Date(Math.floor(nowDate.getTime() / 1000) * 1000);
    const repo = this.d.db.manager.getRepository(WalletPass);
    const scope = { businessId: ctx.businessId, programId: program.id, platform: 'apple' as const };
    await repo
      .createQueryBuilder()
      .update()
      .set({ touchedAt: nowDate, lastModified: nowSec })
      .where('businessId = :b AND programId = :p AND platform = :pl AND lastModified < :s', { b: scope.businessId, p: scope.programId, pl: 'apple', s: nowSec })
      .execute();
    const recent = await repo
      .createQueryBuilder('w')
      .where('w.businessId = :b AND w.programId = :p AND w.platform = :pl AND w.lastModified >= :s', {
        b: scope.businessId,
        p: scope.programId,
        pl: 'apple',
        s: nowSec,
      })
      .getMany();
    for (const p of recent) if (p.touchedAt.getTime() !== nowDate.getTime()) await this.touch(p);
    let pushed = 0;
    const creds = await this.appleCreds(ctx.businessId);
    if (creds?.apns) {
      const page = 5000;
      let after = '';
      for (;;) {
        const regs: WalletRegistration[] = await this.d.db.manager
          .getRepository(WalletRegistration)
          .createQueryBuilder('r')
          .innerJoin(WalletPass, 'p', 'p.platform = :pl AND p.serial = r.serial AND p.businessId = r.businessId', { pl: 'apple' })
          .where('p.businessId = :b AND p.programId = :p AND r.id > :after', { b: ctx.businessId, p: program.id, after })
          .orderBy('r.id', 'ASC')
          .limit(page)
          .getMany();
        if (!regs.length) break;
        const byTopic = new Map<string, WalletRegistration[]>();
        for (const r of regs) byTopic.set(r.passTypeId, [...(byTopic.get(r.passTypeId) ?? []), r]);
        for (const [topic, list] of byTopic) pushed += await this.pushAndPurge(creds.apns, topic, list);
        after = regs[regs.length - 1]!.id;
        if (regs.length < page) break;
      }
    }
    const client = await this.google(ctx.businessId);
    const googlePasses = client ? await repo.countBy({ businessId: ctx.businessId, programId: program.id, platform: 'google' }) : 0;
    if (client && googlePasses) {
      const { design } = await this.design(ctx, program.id);
      const base = {
        business: await this.d.tenants.getBusiness(ctx).then((b) => ({ name: b.name, locale: b.locale, currency: b.currency })),
        program: { id: program.id, name: program.name, kind: program.kind, rules: program.rules, levels: program.levels } as PassProgram,
        design,
        locations: await this.locations(ctx, design),
      };
      await client.upsertClass(
        googleType(program.kind),
        googleClass(base, client.creds.issuerId, { logoUrl: this.imageUrl(ctx.businessId, program.id, 'logo') }),
      );
    }
    return pushed;
  }
}
