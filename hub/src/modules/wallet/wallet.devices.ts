import type { EntityManager } from 'typeorm';
import { isUniqueViolation } from '../../db/db';
import { emit } from '../../bus/outbox';
import { systemActor, type Ctx } from '../../shared/context';
import { notFound, Problem, unauthorized } from '../../shared/errors';
import type { Card } from '../cards/cards.entity';
import type { RowRef, SqlCondition } from '../guests/guests.segments';
import { type ApnsAuth, ApnsClient, isDeadToken } from './wallet.apns';
import { PassTokens } from './wallet.apple';
import type { AppleCreds, WalletCredentials } from './wallet.credentials';
import { GoogleRootKeys, verifyGoogleCallback, type GoogleCallbackBody } from './wallet.google-callbacks';
import { WalletPass, WalletRegistration } from './wallet.entity';
import { applePassToken, notModifiedSince } from './wallet.rules';
import type { WalletDeps } from './wallet.service';

/** Where a card is installed: Apple devices that registered its pass, and whether Google reported a save. */
export interface CardInstalls {
  apple: number;
  google: boolean;
}

/**
 * The passes out in the world: Apple's PassKit web service (device registrations, serials, the
 * latest pass, device logs), APNs pushes with dead-token purging, Google's save / delete callbacks,
 * and the install counts the console, Home and segments read. Installs and uninstalls emit
 * `card.installed` / `card.uninstalled` in the same transaction.
 */
export class WalletDevices {
  constructor(
    private readonly d: WalletDeps,
    private readonly creds: WalletCredentials,
    private readonly apns: ApnsClient,
    private readonly tokens: PassTokens,
    /** Signs the current pass of a card (the issuance side). */
    private readonly signCard: (ctx: Ctx, card: Card, creds: AppleCreds) => Promise<Buffer>,
  ) {}

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

  async removeRegistrations(row: WalletPass, where: { deviceLibraryId?: string; pushToken?: string }, platform: 'apple' | 'google' = 'apple'): Promise<void> {
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
    const creds = await this.creds.requireApple(row.businessId);
    const card = await this.d.cards.get(ctx, row.cardId).catch(() => null);
    if (!card) throw notFound('Pass', 'pass_not_found');
    return { status: 200, body: await this.signCard(ctx, card, creds), lastModified: row.lastModified };
  }

  deviceLog(logs: string[]): void {
    // Debug only: anyone can post here, so these lines must not flood the info log.
    for (const l of logs.slice(0, 20)) this.d.log.debug({ component: 'apple-wallet-device' }, l.slice(0, 500));
  }

  /** Pushes to the tokens; tokens APNs calls dead lose their registrations. Returns the pushes delivered. */
  async pushAndPurge(
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

  private rootKeys?: GoogleRootKeys;
  /** Google's root signing keys (tests put a fake's in place). */
  googleRootKeys(): GoogleRootKeys {
    return (this.rootKeys ??= new GoogleRootKeys(undefined, this.creds.outbound));
  }

  /**
   * A save / delete callback of Google Wallet (signature verified, see wallet.google-callbacks):
   * a save registers the object like an Apple device registration (`deviceLibraryId` = `google`),
   * so installs, segments and the funnel count it; a delete removes it. Repeats change nothing.
   */
  async googleCallback(businessId: string, body: GoogleCallbackBody): Promise<{ result: 'saved' | 'deleted' | 'ignored' }> {
    const client = await this.creds.google(businessId);
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
        await repo.insert(
          repo.create({ businessId, cardId: row.cardId, deviceLibraryId: 'google', passTypeId: row.typeId, serial: row.serial, pushToken: '' }),
        );
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

  /**
   * For guest segments: the outer card row is installed in a wallet, i.e. a device registered its
   * Apple pass, or Google reported a save of its object (a registration with deviceLibraryId `google`).
   */
  installedCondition(card: RowRef, key: string): SqlCondition {
    return {
      sql: `EXISTS (SELECT 1 FROM wallet_registrations ${key} WHERE ${key}.businessId = ${card.businessId} AND ${key}.cardId = ${card.id})`,
      params: {},
    };
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

  /** Per card of `cardIds` (of this business): Apple devices registered and whether Google reported a save. */
  async installsOf(ctx: Ctx, cardIds: string[]): Promise<Map<string, CardInstalls>> {
    const out = new Map<string, CardInstalls>(cardIds.map((id) => [id, { apple: 0, google: false }]));
    if (!cardIds.length) return out;
    const rows = await this.d.db.manager
      .getRepository(WalletRegistration)
      .createQueryBuilder('r')
      .select('r.cardId', 'cardId')
      .addSelect(`SUM(CASE WHEN r.deviceLibraryId = 'google' THEN 0 ELSE 1 END)`, 'apple')
      .addSelect(`SUM(CASE WHEN r.deviceLibraryId = 'google' THEN 1 ELSE 0 END)`, 'google')
      .where('r.businessId = :b AND r.cardId IN (:...ids)', { b: ctx.businessId, ids: cardIds })
      .groupBy('r.cardId')
      .getRawMany<{ cardId: string; apple: number | string; google: number | string }>();
    for (const r of rows) out.set(r.cardId, { apple: Number(r.apple), google: Number(r.google) > 0 });
    return out;
  }
}
