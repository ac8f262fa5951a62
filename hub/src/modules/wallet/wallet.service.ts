import { insertRows, selectRows } from '../../db/columns';
import { groupCommit, type Outcome } from '../../bus/group-commit';
import fs from 'node:fs';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Envelope } from '@loyalty/sdk';
import type { Config } from '../../config';
import { Db, isUniqueViolation } from '../../db/db';
import type { Bus } from '../../bus/bus';
import { systemActor, type Ctx } from '../../shared/context';
import type { SecretBox } from '../../shared/crypto';
import { badRequest, notFound, Problem } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import type { Card } from '../cards/cards.entity';
import type { CardsService } from '../cards/cards.service';
import type { GuestsService } from '../guests/guests.service';
import type { RowRef, SqlCondition } from '../guests/guests.segments';
import type { Program } from '../programs/programs.entity';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { SmsProvider } from '../../shared/sms';
import { t } from '../../shared/i18n';
import { ApnsClient } from './wallet.apns';
import { PassTokens, signPass } from './wallet.apple';
import { type AppleCreds, WalletCredentials } from './wallet.credentials';
import { WalletDevices } from './wallet.devices';
import { GoogleApiError } from './wallet.google';
import type { GoogleRootKeys, GoogleCallbackBody } from './wallet.google-callbacks';
import { checkImage, defaultIcon, MAX_IMAGE_BYTES, passFileName, sha1Hex, stampsStrip } from './wallet.images';
import { WalletDesignRow, WalletImage, WalletInbox, WalletPass, WalletRegistration } from './wallet.entity';
import {
  applePassJson,
  googleClass,
  googleClassId,
  googleMessageType,
  googleObject,
  googleObjectId,
  googleType,
  GOOGLE_NOTIFY_LIMIT,
  nextLastModified,
  PassContent,
  PassLocation,
  PassProgram,
  summaryLine,
} from './wallet.rules';
import {
  appleAccountBody,
  googleAccountBody,
  ImageSlot,
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
  /** The hub's SMS provider: the console texts a guest the card link when it is a real one (not `console`). */
  sms?: SmsProvider;
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
 * Apple Wallet and Google Wallet: card designs and images, pass content, issuing signed passes and
 * Google objects, and refreshing them whenever a card or a design changes. The settings
 * (certificate, Google account) live in `credentials`, the passes out in the world (PassKit web
 * service, pushes, Google callbacks, installs) in `devices`; the methods below that only forward
 * keep the module's public surface in one place for the other modules and the routes.
 */
/** The card a message asks the wallet to refresh, if any. */
function refreshedCard(msg: Envelope): string | null {
  if (!REFRESH_EVENTS.has(msg.type)) return null;
  return (msg.data as { cardId?: string | null }).cardId ?? null;
}

export class WalletService {
  readonly apns: ApnsClient;
  readonly tokens: PassTokens;
  /** Settings: the Pass Type ID certificate and the Google account (wallet.credentials). */
  readonly credentials: WalletCredentials;
  /** Passes out in the world: device registrations, pushes, Google callbacks, installs (wallet.devices). */
  readonly devices: WalletDevices;
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
    this.apns = new ApnsClient({ host: c.APNS_HOST, ca: readFile(c.APNS_CA_FILE), concurrency: c.APNS_CONCURRENCY, log: d.log.child({ component: 'apns' }) });
    this.credentials = new WalletCredentials(d);
    this.devices = new WalletDevices(d, this.credentials, this.apns, this.tokens, (ctx, card, creds) => this.signCard(ctx, card, creds));
  }

  private get publicUrl(): string {
    return this.d.config.publicUrl;
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
    const creds = await this.credentials.requireApple(ctx.businessId);
    if (card.status === 'deleted') throw new Problem(410, 'card_deleted', 'This card was deleted');
    const row = await this.ensurePass(ctx, card, 'apple', card.id, creds.passTypeId);
    return { body: await this.signCard(ctx, card, creds), lastModified: row.lastModified };
  }

  /** Creates (or refreshes) the card's Google object and returns the "Save to Google Wallet" link. */
  async googleSaveUrl(ctx: Ctx, cardId: string): Promise<string> {
    const card = await this.d.cards.get(ctx, cardId);
    const client = await this.credentials.google(ctx.businessId);
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
  // Changes: refresh passes, push, PATCH
  // -------------------------------------------------------------------------------------------

  /** Subscribes the wallet consumer: card and checkout events refresh the card's passes. */
  /**
   * Most cards have no pass in a wallet: which cards of the messages that arrive together have one
   * is a single indexed read (group commit), and only those messages do any more work.
   */
  async subscribe(bus: Bus): Promise<void> {
    const batched = groupCommit<Envelope>((msgs) => this.onEvents(msgs));
    await bus.subscribe(WALLET_CONSUMER, ['card.*', 'checkout.*'], (msg) => (refreshedCard(msg) ? batched(msg) : Promise.resolve()), {
      retryDelaysMs: [1000, 5000, 30000, 120000],
    });
  }

  /** Handles messages that arrived together: one read for their cards' passes, then each message in order. */
  async onEvents(msgs: Envelope[]): Promise<Outcome[]> {
    const wanted = msgs.filter((m) => refreshedCard(m));
    const passes = new Map<string, WalletPass[]>();
    if (wanted.length) {
      const cards = [...new Set(wanted.map((m) => refreshedCard(m)!))];
      const businesses = [...new Set(wanted.map((m) => m.businessId))];
      const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
      const rows = await selectRows(this.d.db.manager.getRepository(WalletPass), `businessId IN (${marks(businesses.length)}) AND cardId IN (${marks(cards.length)})`, [
        ...businesses,
        ...cards,
      ]);
      for (const p of rows) passes.set(`${p.businessId}|${p.cardId}`, [...(passes.get(`${p.businessId}|${p.cardId}`) ?? []), p]);
    }
    const out: Outcome[] = [];
    for (const m of msgs) {
      const card = refreshedCard(m);
      const own = card ? passes.get(`${m.businessId}|${card}`) : undefined;
      if (!card || !own?.length) {
        out.push(undefined);
        continue;
      }
      out.push(await this.withPasses(m, card, own).then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      ));
    }
    return out;
  }

  /** Handles one bus message; idempotent on the message id. */
  async onEvent(msg: Envelope): Promise<void> {
    const cardId = refreshedCard(msg);
    if (!cardId) return;
    const passes = await this.d.db.manager.getRepository(WalletPass).findBy({ businessId: msg.businessId, cardId });
    if (passes.length) await this.withPasses(msg, cardId, passes);
  }

  private async withPasses(msg: Envelope, cardId: string, passes: WalletPass[]): Promise<void> {
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
    const creds = await this.credentials.appleCreds(ctx.businessId);
    if (!creds?.apns) {
      this.d.log.debug({ businessId: ctx.businessId }, 'no APNs key: pass updated without a push');
      return;
    }
    await this.devices.pushAndPurge(creds.apns, p.typeId, regs);
  }

  private async refreshGoogle(ctx: Ctx, p: WalletPass, announceId?: string): Promise<void> {
    const client = await this.credentials.google(ctx.businessId);
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
    const creds = await this.credentials.appleCreds(ctx.businessId);
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
        for (const [topic, list] of byTopic) pushed += await this.devices.pushAndPurge(creds.apns, topic, list);
        after = regs[regs.length - 1]!.id;
        if (regs.length < page) break;
      }
    }
    const client = await this.credentials.google(ctx.businessId);
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

  // -------------------------------------------------------------------------------------------
  // Console: settings state, installs, sending the card link
  // -------------------------------------------------------------------------------------------

  /** A real SMS provider is configured (the console's development outbox reaches no phone). */
  get smsAvailable(): boolean {
    return !!this.d.sms && this.d.sms.name !== 'console';
  }

  async status(ctx: Ctx) {
    return { ...(await this.credentials.status(ctx)), smsAvailable: this.smsAvailable };
  }

  /** Apple devices and Google saves of the given cards (cards of another business count nothing). */
  async installs(ctx: Ctx, cardIds: string[]) {
    const found = await this.devices.installsOf(ctx, [...new Set(cardIds)]);
    return { items: [...found].map(([cardId, i]) => ({ cardId, ...i })) };
  }

  /** Texts the card's guest the link to the card page (from which the guest adds it to a wallet). */
  /** `gate` runs once the card is known to be the caller's (a rate limit never answers for another tenant's id). */
  async sendCardLink(ctx: Ctx, cardId: string, gate?: () => void): Promise<{ sent: true; to: string }> {
    const card = await this.d.cards.get(ctx, cardId);
    gate?.();
    if (card.status === 'deleted') throw new Problem(410, 'card_deleted', 'This card was deleted');
    if (!this.d.sms || !this.smsAvailable)
      throw new Problem(409, 'sms_provider_missing', 'No SMS provider is configured (SMS_PROVIDER): copy the link and send it yourself');
    const guest = card.guestId ? await this.d.guests.get(ctx, card.guestId).catch(() => null) : null;
    if (!guest?.phone) throw new Problem(409, 'guest_has_no_phone', 'The card has no guest with a phone number');
    const business = await this.d.tenants.getBusiness(ctx);
    const to = `…${guest.phone.slice(-4)}`;
    try {
      await this.d.sms.send({ to: guest.phone, text: t(business.locale, 'sms.cardLink', { business: business.name, url: this.cardPageUrl(ctx.businessId, cardId) }) });
    } catch (e) {
      this.d.log.warn({ err: e instanceof Error ? e.message : String(e), provider: this.d.sms.name }, 'card link SMS failed');
      throw new Problem(502, 'sms_failed', 'The SMS provider did not take the text; try again later');
    }
    await inTx(this.d.db, ctx, (tx) => this.d.audit.record(ctx, tx, { action: 'wallet.card_link_sent', targetType: 'card', targetId: cardId, after: { to } }));
    return { sent: true, to };
  }

  // -------------------------------------------------------------------------------------------
  // The module's surface, forwarded to the parts
  // -------------------------------------------------------------------------------------------

  appleAccount(ctx: Ctx) {
    return this.credentials.appleAccount(ctx);
  }
  setAppleAccount(ctx: Ctx, body: z.infer<typeof appleAccountBody>) {
    return this.credentials.setAppleAccount(ctx, body);
  }
  deleteAppleAccount(ctx: Ctx): Promise<void> {
    return this.credentials.deleteAppleAccount(ctx);
  }
  googleAccount(ctx: Ctx) {
    return this.credentials.googleAccount(ctx);
  }
  setGoogleAccount(ctx: Ctx, body: z.infer<typeof googleAccountBody>) {
    return this.credentials.setGoogleAccount(ctx, body);
  }
  deleteGoogleAccount(ctx: Ctx): Promise<void> {
    return this.credentials.deleteGoogleAccount(ctx);
  }
  /** Which wallets a business can hand cards out to. */
  availability(ctx: Ctx): Promise<{ apple: boolean; google: boolean }> {
    return this.credentials.availability(ctx);
  }
  googleRootKeys(): GoogleRootKeys {
    return this.devices.googleRootKeys();
  }
  googleCallback(businessId: string, body: GoogleCallbackBody): Promise<{ result: 'saved' | 'deleted' | 'ignored' }> {
    return this.devices.googleCallback(businessId, body);
  }
  installedCondition(card: RowRef, key: string): SqlCondition {
    return this.devices.installedCondition(card, key);
  }
  installsBetween(ctx: Ctx, from: Date, to: Date): Promise<number> {
    return this.devices.installsBetween(ctx, from, to);
  }
  registerDevice(deviceLibraryId: string, passTypeId: string, serial: string, auth: string | undefined, pushToken: string): Promise<201 | 200> {
    return this.devices.registerDevice(deviceLibraryId, passTypeId, serial, auth, pushToken);
  }
  unregisterDevice(deviceLibraryId: string, passTypeId: string, serial: string, auth: string | undefined): Promise<void> {
    return this.devices.unregisterDevice(deviceLibraryId, passTypeId, serial, auth);
  }
  serialsSince(deviceLibraryId: string, passTypeId: string, since?: string) {
    return this.devices.serialsSince(deviceLibraryId, passTypeId, since);
  }
  latestPass(passTypeId: string, serial: string, auth: string | undefined, ifModifiedSince: string | undefined) {
    return this.devices.latestPass(passTypeId, serial, auth, ifModifiedSince);
  }
  deviceLog(logs: string[]): void {
    this.devices.deviceLog(logs);
  }
}
