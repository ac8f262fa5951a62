import { In, IsNull } from 'typeorm';
import { z } from 'zod';
import { Db, isUniqueViolation } from '../../db/db';
import { Actor, Ctx, Role, systemActor } from '../../shared/context';
import { DUMMY_PASSWORD_HASH, hashPassword, newApiKey, randomToken, safeEqualHex, sha256, verifyPassword } from '../../shared/crypto';
import { conflict, forbidden, notFound, tooMany, unauthorized } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import { Business, Location, StaffSession, StaffUser, Terminal } from './tenants.entity';
import {
  businessSettings,
  BusinessSettings,
  createBusinessInput,
  CreateBusinessInput,
  locationBody,
  staffBody,
  staffPatch,
  terminalBody,
  updateBusinessBody,
} from './tenants.schemas';

export interface SessionInfo {
  businessId: string;
  actor: Actor;
  staff: StaffUser;
}

const RANK: Record<Role, number> = { cashier: 1, marketer: 2, admin: 3, owner: 4 };

export const locationOut = (l: Location) => ({
  id: l.id,
  name: l.name,
  address: l.address,
  latitude: l.latitudeE6 === null ? null : l.latitudeE6 / 1e6,
  longitude: l.longitudeE6 === null ? null : l.longitudeE6 / 1e6,
  active: l.active,
});
export const terminalOut = (t: Terminal) => ({
  id: t.id,
  name: t.name,
  locationId: t.locationId,
  keyPrefix: t.keyPrefix,
  scopes: t.scopes,
  revokedAt: t.revokedAt,
  lastUsedAt: t.lastUsedAt,
  createdAt: t.createdAt,
});
export const staffOut = (s: StaffUser) => ({
  id: s.id,
  email: s.email,
  name: s.name,
  role: s.role,
  active: s.active,
  lastLoginAt: s.lastLoginAt,
  createdAt: s.createdAt,
});
export const businessOut = (b: Business) => ({
  id: b.id,
  name: b.name,
  currency: b.currency,
  timezone: b.timezone,
  locale: b.locale,
  settings: businessSettings.parse(b.settings ?? {}),
  createdAt: b.createdAt,
});

interface CachedTerminal {
  terminal: Terminal;
  at: number;
}

/**
 * Login attempts are limited: 10 failures per e-mail and 50 per IP address in 15 minutes lock
 * further tries (the IP limit is higher because an office shares one address).
 */
class LoginThrottle {
  private fails = new Map<string, number[]>();
  constructor(
    private readonly maxPerEmail = 10,
    private readonly maxPerIp = 50,
    private readonly windowMs = 15 * 60 * 1000,
  ) {}
  private recent(key: string): number[] {
    const now = Date.now();
    const list = (this.fails.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.fails.set(key, list);
    return list;
  }
  blocked(keys: string[]): boolean {
    return keys.some((k) => this.recent(k).length >= (k.startsWith('i:') ? this.maxPerIp : this.maxPerEmail));
  }
  fail(keys: string[]): void {
    for (const k of keys) this.recent(k).push(Date.now());
    if (this.fails.size > 50000) this.fails.clear();
  }
  clear(key: string): void {
    this.fails.delete(key);
  }
}

/**
 * Businesses, locations, terminals, staff and console sessions. Every method is scoped to
 * `ctx.businessId`; ids of another business are simply not found.
 */
export class TenantsService {
  private terminalCache = new Map<string, CachedTerminal>();
  private throttle = new LoginThrottle();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly sessionTtlHours: number,
  ) {}

  // ---------- businesses ----------

  async createBusiness(input: CreateBusinessInput, actor: Actor = systemActor()): Promise<{ business: Business; owner: StaffUser }> {
    const i = createBusinessInput.parse(input);
    const passwordHash = await hashPassword(i.owner.password);
    try {
      return await this.db.transaction(async (tx) => {
        const business = tx.getRepository(Business).create({
          name: i.name,
          currency: i.currency,
          timezone: i.timezone,
          locale: i.locale,
          settings: businessSettings.parse({}),
        });
        await tx.getRepository(Business).insert(business);
        const owner = tx.getRepository(StaffUser).create({
          businessId: business.id,
          email: i.owner.email,
          name: i.owner.name,
          role: 'owner',
          passwordHash,
          active: true,
          lastLoginAt: null,
        });
        await tx.getRepository(StaffUser).insert(owner);
        const ctx: Ctx = { businessId: business.id, actor };
        await this.audit.record(ctx, tx, { action: 'business.created', targetType: 'business', targetId: business.id, after: businessOut(business) });
        await this.audit.record(ctx, tx, { action: 'staff.created', targetType: 'staff', targetId: owner.id, after: staffOut(owner) });
        return { business, owner };
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('email_taken', 'A staff login with this e-mail already exists');
      throw e;
    }
  }

  async getBusiness(ctx: Ctx): Promise<Business> {
    const b = await (ctx.tx ?? this.db.manager).getRepository(Business).findOneBy({ id: ctx.businessId });
    if (!b) throw notFound('Business');
    return b;
  }

  private currencies = new Map<string, string>();

  /** The business's currency (immutable once created, so cached). */
  async currency(ctx: Ctx): Promise<string> {
    let c = this.currencies.get(ctx.businessId);
    if (!c) {
      c = (await this.getBusiness(ctx)).currency;
      this.currencies.set(ctx.businessId, c);
    }
    return c;
  }

  private settingsCache = new Map<string, { s: BusinessSettings; at: number }>();

  /** The business's settings; cached for 5 s on the checkout hot path (dropped here on change). */
  async settings(ctx: Ctx): Promise<BusinessSettings> {
    const hit = this.settingsCache.get(ctx.businessId);
    if (hit && Date.now() - hit.at < 5000) return hit.s;
    const s = businessSettings.parse((await this.getBusiness(ctx)).settings ?? {});
    this.settingsCache.set(ctx.businessId, { s, at: Date.now() });
    if (this.settingsCache.size > 10000) this.settingsCache.clear();
    return s;
  }

  async updateBusiness(ctx: Ctx, patch: z.infer<typeof updateBusinessBody>): Promise<Business> {
    return inTx(this.db, ctx, async (tx) => {
      const b = await this.getBusiness({ ...ctx, tx });
      const before = businessOut(b);
      const settings = businessSettings.parse(b.settings ?? {});
      const next = {
        ...settings,
        ...(patch.settings?.holdTtlMinutes !== undefined ? { holdTtlMinutes: patch.settings.holdTtlMinutes } : {}),
        fraudLimits: { ...settings.fraudLimits, ...(patch.settings?.fraudLimits ?? {}) },
      };
      Object.assign(b, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
        ...(patch.locale !== undefined ? { locale: patch.locale } : {}),
        settings: businessSettings.parse(next),
      });
      await tx.getRepository(Business).update({ id: b.id }, { name: b.name, timezone: b.timezone, locale: b.locale, settings: b.settings });
      this.settingsCache.delete(b.id);
      await this.audit.record(ctx, tx, { action: 'business.updated', targetType: 'business', targetId: b.id, before, after: businessOut(b) });
      return b;
    });
  }

  // ---------- locations ----------

  async listLocations(ctx: Ctx): Promise<Location[]> {
    return this.db.manager.getRepository(Location).find({ where: { businessId: ctx.businessId }, order: { id: 'ASC' } });
  }

  async getLocation(ctx: Ctx, id: string): Promise<Location> {
    const l = await (ctx.tx ?? this.db.manager).getRepository(Location).findOneBy({ id, businessId: ctx.businessId });
    if (!l) throw notFound('Location');
    return l;
  }

  async createLocation(ctx: Ctx, body: z.infer<typeof locationBody>): Promise<Location> {
    return inTx(this.db, ctx, async (tx) => {
      const l = tx.getRepository(Location).create({
        businessId: ctx.businessId,
        name: body.name,
        address: body.address ?? null,
        latitudeE6: body.latitude == null ? null : Math.round(body.latitude * 1e6),
        longitudeE6: body.longitude == null ? null : Math.round(body.longitude * 1e6),
        active: body.active ?? true,
      });
      await tx.getRepository(Location).insert(l);
      await this.audit.record(ctx, tx, { action: 'location.created', targetType: 'location', targetId: l.id, after: locationOut(l) });
      return l;
    });
  }

  async updateLocation(ctx: Ctx, id: string, body: Partial<z.infer<typeof locationBody>>): Promise<Location> {
    return inTx(this.db, ctx, async (tx) => {
      const l = await this.getLocation({ ...ctx, tx }, id);
      const before = locationOut(l);
      if (body.name !== undefined) l.name = body.name;
      if (body.address !== undefined) l.address = body.address;
      if (body.latitude !== undefined) l.latitudeE6 = body.latitude === null ? null : Math.round(body.latitude * 1e6);
      if (body.longitude !== undefined) l.longitudeE6 = body.longitude === null ? null : Math.round(body.longitude * 1e6);
      if (body.active !== undefined) l.active = body.active;
      await tx
        .getRepository(Location)
        .update(
          { id, businessId: ctx.businessId },
          { name: l.name, address: l.address, latitudeE6: l.latitudeE6, longitudeE6: l.longitudeE6, active: l.active },
        );
      await this.audit.record(ctx, tx, { action: 'location.updated', targetType: 'location', targetId: id, before, after: locationOut(l) });
      return l;
    });
  }

  // ---------- terminals ----------

  async listTerminals(ctx: Ctx): Promise<Terminal[]> {
    return this.db.manager.getRepository(Terminal).find({ where: { businessId: ctx.businessId }, order: { id: 'ASC' } });
  }

  /** Creates a terminal; the returned key is shown once and only its hash is kept. */
  async createTerminal(ctx: Ctx, body: z.input<typeof terminalBody>): Promise<{ terminal: Terminal; key: string }> {
    const b = terminalBody.parse(body);
    return inTx(this.db, ctx, async (tx) => {
      if (b.locationId) await this.getLocation({ ...ctx, tx }, b.locationId);
      const { key, prefix } = newApiKey('lk');
      const t = tx.getRepository(Terminal).create({
        businessId: ctx.businessId,
        name: b.name,
        locationId: b.locationId ?? null,
        keyPrefix: prefix,
        keyHash: sha256(key),
        scopes: b.scopes,
        revokedAt: null,
        lastUsedAt: null,
      });
      await tx.getRepository(Terminal).insert(t);
      await this.audit.record(ctx, tx, { action: 'terminal.created', targetType: 'terminal', targetId: t.id, after: terminalOut(t) });
      return { terminal: t, key };
    });
  }

  async revokeTerminal(ctx: Ctx, id: string): Promise<Terminal> {
    return inTx(this.db, ctx, async (tx) => {
      const t = await tx.getRepository(Terminal).findOneBy({ id, businessId: ctx.businessId });
      if (!t) throw notFound('Terminal');
      if (!t.revokedAt) {
        const before = terminalOut(t);
        t.revokedAt = new Date();
        await tx.getRepository(Terminal).update({ id }, { revokedAt: t.revokedAt });
        await this.audit.record(ctx, tx, { action: 'terminal.revoked', targetType: 'terminal', targetId: id, before, after: terminalOut(t) });
      }
      this.terminalCache.delete(t.keyPrefix);
      return t;
    });
  }

  /** Resolves a terminal API key; undefined for unknown, wrong or revoked keys. Cached for 5 s. */
  async authenticateTerminal(key: string, ip?: string): Promise<{ businessId: string; actor: Actor } | undefined> {
    const m = /^(lk_[0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(key);
    if (!m) return undefined;
    const prefix = m[1]!;
    let entry = this.terminalCache.get(prefix);
    if (!entry || Date.now() - entry.at > 5000) {
      const t = await this.db.manager.getRepository(Terminal).findOneBy({ keyPrefix: prefix });
      if (!t) return undefined;
      entry = { terminal: t, at: Date.now() };
      this.terminalCache.set(prefix, entry);
      if (this.terminalCache.size > 10000) this.terminalCache.clear();
      void this.db.manager
        .getRepository(Terminal)
        .update({ id: t.id }, { lastUsedAt: new Date() })
        .catch(() => undefined);
    }
    const t = entry.terminal;
    if (t.revokedAt || !safeEqualHex(sha256(key), t.keyHash)) return undefined;
    return {
      businessId: t.businessId,
      actor: { type: 'terminal', id: t.id, label: t.name, scopes: t.scopes, locationId: t.locationId ?? undefined, ip },
    };
  }

  // ---------- staff ----------

  async listStaff(ctx: Ctx): Promise<StaffUser[]> {
    return this.db.manager.getRepository(StaffUser).find({ where: { businessId: ctx.businessId }, order: { id: 'ASC' } });
  }

  private assertCanManage(ctx: Ctx, role: Role): void {
    const mine = ctx.actor.role;
    if (ctx.actor.type === 'system') return;
    if (!mine || RANK[mine] < RANK.admin) throw forbidden();
    if (role === 'owner' && mine !== 'owner') throw forbidden('Only an owner can grant or change the owner role');
  }

  async createStaff(ctx: Ctx, body: z.infer<typeof staffBody>): Promise<StaffUser> {
    this.assertCanManage(ctx, body.role);
    const passwordHash = await hashPassword(body.password);
    try {
      return await inTx(this.db, ctx, async (tx) => {
        const s = tx.getRepository(StaffUser).create({
          businessId: ctx.businessId,
          email: body.email,
          name: body.name,
          role: body.role,
          passwordHash,
          active: true,
          lastLoginAt: null,
        });
        await tx.getRepository(StaffUser).insert(s);
        await this.audit.record(ctx, tx, { action: 'staff.created', targetType: 'staff', targetId: s.id, after: staffOut(s) });
        return s;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('email_taken', 'A staff login with this e-mail already exists');
      throw e;
    }
  }

  async updateStaff(ctx: Ctx, id: string, patch: z.infer<typeof staffPatch>): Promise<StaffUser> {
    const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
    return inTx(this.db, ctx, async (tx) => {
      const repo = tx.getRepository(StaffUser);
      const s = await repo.findOneBy({ id, businessId: ctx.businessId });
      if (!s) throw notFound('Staff member');
      this.assertCanManage(ctx, s.role);
      if (patch.role) this.assertCanManage(ctx, patch.role);
      const before = staffOut(s);
      const demotesOwner = s.role === 'owner' && ((patch.role && patch.role !== 'owner') || patch.active === false);
      if (demotesOwner) {
        const owners = await repo.countBy({ businessId: ctx.businessId, role: 'owner', active: true });
        if (owners <= 1) throw conflict('last_owner', 'A business must keep at least one active owner');
      }
      Object.assign(s, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(passwordHash ? { passwordHash } : {}),
      });
      await repo.update({ id }, { name: s.name, role: s.role, active: s.active, passwordHash: s.passwordHash });
      if (patch.active === false || passwordHash) await tx.getRepository(StaffSession).delete({ staffId: id });
      await this.audit.record(ctx, tx, {
        action: passwordHash ? 'staff.password_changed' : 'staff.updated',
        targetType: 'staff',
        targetId: id,
        before,
        after: staffOut(s),
      });
      return s;
    });
  }

  // ---------- sessions ----------

  /** Checks the password and opens a session; every failure looks the same to the caller. */
  async login(emailRaw: string, password: string, ip: string): Promise<{ token: string; staff: StaffUser; expiresAt: Date }> {
    const email = emailRaw.toLowerCase();
    const keys = [`e:${email}`, `i:${ip}`];
    const staff = await this.db.manager.getRepository(StaffUser).findOneBy({ email });
    if (this.throttle.blocked(keys)) {
      if (staff)
        await this.audit.recordAlone(
          { businessId: staff.businessId, actor: { type: 'guest', id: 'anonymous', label: email, ip } },
          { action: 'auth.login_throttled', targetType: 'staff', targetId: staff.id },
        );
      throw tooMany('login_throttled', 'Too many failed logins; try again in 15 minutes');
    }
    const ok = await verifyPassword(password, staff?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!staff || !ok || !staff.active) {
      this.throttle.fail(keys);
      if (staff)
        await this.audit.recordAlone(
          { businessId: staff.businessId, actor: { type: 'guest', id: 'anonymous', label: email, ip } },
          { action: 'auth.login_failed', targetType: 'staff', targetId: staff.id },
        );
      throw unauthorized('Wrong e-mail or password', 'invalid_credentials');
    }
    this.throttle.clear(`e:${email}`);
    const token = randomToken();
    const expiresAt = new Date(Date.now() + this.sessionTtlHours * 3600 * 1000);
    await this.db.transaction(async (tx) => {
      await tx
        .getRepository(StaffSession)
        .insert(tx.getRepository(StaffSession).create({ businessId: staff.businessId, tokenHash: sha256(token), staffId: staff.id, expiresAt, ip }));
      await tx.getRepository(StaffUser).update({ id: staff.id }, { lastLoginAt: new Date() });
      await this.audit.record({ businessId: staff.businessId, actor: { type: 'staff', id: staff.id, role: staff.role, label: staff.email, ip } }, tx, {
        action: 'auth.login',
        targetType: 'staff',
        targetId: staff.id,
      });
    });
    return { token, staff, expiresAt };
  }

  async resolveSession(token: string, ip?: string): Promise<SessionInfo | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const session = await this.db.manager.getRepository(StaffSession).findOneBy({ tokenHash: sha256(token) });
    if (!session || session.expiresAt.getTime() < Date.now()) return undefined;
    const staff = await this.db.manager.getRepository(StaffUser).findOneBy({ id: session.staffId, businessId: session.businessId });
    if (!staff || !staff.active) return undefined;
    return { businessId: staff.businessId, staff, actor: { type: 'staff', id: staff.id, role: staff.role, label: staff.email, ip } };
  }

  async logout(token: string): Promise<void> {
    await this.db.manager.getRepository(StaffSession).delete({ tokenHash: sha256(token) });
  }

  /** Removes expired sessions (periodic job). */
  async purgeSessions(): Promise<number> {
    const res = await this.db.manager.getRepository(StaffSession).createQueryBuilder().delete().where('expiresAt < :now', { now: new Date() }).execute();
    return res.affected ?? 0;
  }

  async staffByIds(ctx: Ctx, ids: string[]): Promise<StaffUser[]> {
    if (!ids.length) return [];
    return this.db.manager.getRepository(StaffUser).findBy({ businessId: ctx.businessId, id: In(ids) });
  }

  async activeTerminals(ctx: Ctx): Promise<Terminal[]> {
    return this.db.manager.getRepository(Terminal).findBy({ businessId: ctx.businessId, revokedAt: IsNull() });
  }
}
