import { randomBytes } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import { z } from 'zod';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { Db, isUniqueViolation } from '../../db/db';
import { Actor, Ctx, Role, systemActor } from '../../shared/context';
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  newApiKey,
  passwordNeedsRehash,
  randomToken,
  safeEqualHex,
  SecretBox,
  sha256,
  verifyPassword,
} from '../../shared/crypto';
import { conflict, forbidden, notFound, Problem, tooMany, unauthorized } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import { Business, Location, StaffSession, StaffUser, Terminal } from './tenants.entity';
import {
  BACKOFF_FORGET_MS,
  BackoffPolicy,
  LOGIN_BACKOFF,
  MFA_REQUIRED_ROLES,
  normalizeRecoveryCode,
  normalizeTotp,
  passwordWeakness,
  RECOVERY_ALPHABET,
  RECOVERY_CODE_COUNT,
  waitMs,
} from './tenants.rules';
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
  sessionId: string;
  /** The business requires a second factor for this role and the member has not enrolled yet. */
  mfaMissing: boolean;
}

export interface TenantsOptions {
  sessionTtlHours: number;
  /** A session ends after this long without a request. */
  sessionIdleMinutes: number;
  /** Cookies are Secure (https): the session cookie then carries the `__Host-` prefix. */
  secureCookies: boolean;
  /** Businesses created here require a second factor for owners and admins by default. */
  production: boolean;
  /** Seals TOTP secrets at rest and the short-lived second-step challenges. */
  secrets: SecretBox;
}

/** The password step's answer: a session, or a challenge for the second factor. */
export type LoginResult =
  { kind: 'session'; token: string; staff: StaffUser; expiresAt: Date } | { kind: 'mfa'; challenge: string; staff: StaffUser; expiresAt: Date };

export interface MfaEnrolment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

const MFA_CHALLENGE_MS = 5 * 60_000;
const MFA_TRIES_PER_CHALLENGE = 5;
const MFA_BACKOFF: BackoffPolicy = { free: 5, capMs: 5 * 60_000 };
const TOTP_PERIOD = 30;
/** The idle clock is written at most this often per session (not on every request). */
const SEEN_GRANULARITY_MS = 60_000;

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
  mfaEnabled: s.mfaEnabledAt != null,
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

const TERMINAL_TOUCH_MS = 60_000;

interface CachedTerminal {
  terminal: Terminal;
  at: number;
}

/**
 * Back-off on failed sign-ins, per key (`ei:` e-mail and address, `i:` address, `e:` e-mail over all
 * addresses, `m:` a member's second step, `pw:` a member re-typing their password). In memory per
 * instance, as rate limits are; see LOGIN_BACKOFF for the numbers. Only failures count: a refused
 * (429) try adds nothing.
 */
class Backoff {
  private state = new Map<string, { failures: number; lastFailAt: number }>();
  /** Milliseconds to wait before the next try on any of the keys (0 = go). */
  wait(keys: [string, BackoffPolicy][], now = Date.now()): number {
    return Math.max(0, ...keys.map(([k, p]) => waitMs(this.state.get(k), p, now)));
  }
  fail(keys: [string, BackoffPolicy][], now = Date.now()): void {
    for (const [k] of keys) {
      const prev = this.state.get(k);
      const fresh = !prev || now - prev.lastFailAt > BACKOFF_FORGET_MS;
      this.state.set(k, { failures: fresh ? 1 : prev.failures + 1, lastFailAt: now });
    }
    if (this.state.size > 100_000) this.state.clear();
  }
  clear(key: string): void {
    this.state.delete(key);
  }
}

const throttled = (waitMsLeft: number, what = 'Too many failed sign-ins') => {
  const seconds = Math.max(1, Math.ceil(waitMsLeft / 1000));
  return tooMany('login_throttled', `${what}; try again in ${seconds} s`, { retryAfterSeconds: seconds });
};

/** A refused new password: 422 naming the field. */
const weakPassword = (field: string, why: string) => new Problem(422, 'weak_password', `Choose another password: ${why}`, [{ field, message: why }]);

/**
 * Businesses, locations, terminals, staff and console sessions. Every method is scoped to
 * `ctx.businessId`; ids of another business are simply not found.
 */
export class TenantsService {
  private terminalCache = new Map<string, CachedTerminal>();
  /** When each terminal's `lastUsedAt` was last written (by `clock`). */
  private terminalTouched = new Map<string, number>();
  private throttle = new Backoff();
  /** Time source of the sign-in back-off (tests move it forward instead of sleeping). */
  clock: () => number = Date.now;
  /** Wrong codes per second-step challenge (by its nonce). */
  private challengeTries = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly opts: TenantsOptions,
  ) {}

  /** The session cookie's name: `__Host-` prefixed when Secure (no Domain, Path=/), so no subdomain can plant one. */
  get sessionCookie(): string {
    return this.opts.secureCookies ? '__Host-lh_session' : 'lh_session';
  }

  /** Refuses a weak new password with a 422 naming `field`. */
  checkPassword(password: string, field: string, about: { email?: string; name?: string }): void {
    const why = passwordWeakness(password, about);
    if (why) throw weakPassword(field, why);
  }

  // ---------- businesses ----------

  async createBusiness(input: CreateBusinessInput, actor: Actor = systemActor()): Promise<{ business: Business; owner: StaffUser }> {
    const i = createBusinessInput.parse(input);
    this.checkPassword(i.owner.password, 'owner.password', i.owner);
    const passwordHash = await hashPassword(i.owner.password);
    try {
      return await this.db.transaction(async (tx) => {
        const business = tx.getRepository(Business).create({
          name: i.name,
          currency: i.currency,
          timezone: i.timezone,
          locale: i.locale,
          settings: businessSettings.parse({ requireMfaForAdmins: i.requireMfaForAdmins ?? this.opts.production }),
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
      const requireMfa = patch.settings?.requireMfaForAdmins;
      if (requireMfa && !settings.requireMfaForAdmins && ctx.actor.type === 'staff') {
        // Turning it on without a second factor of one's own would shut the caller out of the console at once.
        const me = await tx.getRepository(StaffUser).findOneBy({ id: ctx.actor.id, businessId: ctx.businessId });
        if (!me?.mfaEnabledAt)
          throw conflict('mfa_not_enrolled', 'Turn on two-factor sign-in for yourself (Security page) before requiring it for owners and admins');
      }
      const next = {
        ...settings,
        ...(patch.settings?.holdTtlMinutes !== undefined ? { holdTtlMinutes: patch.settings.holdTtlMinutes } : {}),
        ...(requireMfa !== undefined ? { requireMfaForAdmins: requireMfa } : {}),
        ...(patch.settings?.privacyPolicyUrl !== undefined ? { privacyPolicyUrl: patch.settings.privacyPolicyUrl } : {}),
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
    }
    const t = entry.terminal;
    if (t.revokedAt || !safeEqualHex(sha256(key), t.keyHash)) return undefined;
    // "Last used" for every authenticated call, written at most once a minute per terminal.
    const now = this.clock();
    if (now - (this.terminalTouched.get(t.id) ?? -Infinity) >= TERMINAL_TOUCH_MS) {
      this.terminalTouched.set(t.id, now);
      if (this.terminalTouched.size > 10000) this.terminalTouched.clear();
      await this.db.manager
        .getRepository(Terminal)
        .update({ id: t.id }, { lastUsedAt: new Date() })
        .catch(() => this.terminalTouched.delete(t.id));
    }
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
    this.checkPassword(body.password, 'password', body);
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

  /**
   * Turns off another member's second factor (a lost phone and lost recovery codes): an admin for
   * staff, only an owner for an owner; the member's sessions end and they enrol again. Audited.
   */
  async resetStaffMfa(ctx: Ctx, id: string): Promise<StaffUser> {
    return inTx(this.db, ctx, async (tx) => {
      const repo = tx.getRepository(StaffUser);
      const s = await repo.findOneBy({ id, businessId: ctx.businessId });
      if (!s) throw notFound('Staff member');
      this.assertCanManage(ctx, s.role);
      if (ctx.actor.type === 'staff' && ctx.actor.id === id) throw conflict('own_mfa', 'Turn your own second factor off under Security (password and code)');
      const before = staffOut(s);
      Object.assign(s, { mfaSecret: null, mfaEnabledAt: null, mfaRecoveryCodes: null, mfaLastStep: null });
      await repo.update({ id }, { mfaSecret: null, mfaEnabledAt: null, mfaRecoveryCodes: null, mfaLastStep: null });
      await tx.getRepository(StaffSession).delete({ staffId: id });
      await this.audit.record(ctx, tx, { action: 'staff.mfa_reset', targetType: 'staff', targetId: id, before, after: staffOut(s) });
      return s;
    });
  }

  async updateStaff(ctx: Ctx, id: string, patch: z.infer<typeof staffPatch>): Promise<StaffUser> {
    if (patch.password) this.checkPassword(patch.password, 'password', { name: patch.name });
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

  private loginKeys(email: string, ip: string): [string, BackoffPolicy][] {
    return [
      [`ei:${email}|${ip}`, LOGIN_BACKOFF.emailAndIp],
      [`i:${ip}`, LOGIN_BACKOFF.ip],
      [`e:${email}`, LOGIN_BACKOFF.email],
    ];
  }

  private anonymous(staff: StaffUser, email: string, ip: string): Ctx {
    return { businessId: staff.businessId, actor: { type: 'guest', id: 'anonymous', label: email, ip } };
  }

  private selfActor(staff: StaffUser, ip?: string): Actor {
    return { type: 'staff', id: staff.id, role: staff.role, label: staff.email, ip };
  }

  /**
   * The password step. Every failure looks the same to the caller. Wrong guesses back off per
   * e-mail and address (doubling waits), per address and, with a short cap, per e-mail; nothing locks
   * an account, so its owner signs in from another address at once or from the same one after the
   * wait. A member with a second factor gets a challenge for `completeMfa` instead of a session.
   */
  async login(emailRaw: string, password: string, ip: string): Promise<LoginResult> {
    const email = emailRaw.toLowerCase();
    const keys = this.loginKeys(email, ip);
    const staff = await this.db.manager.getRepository(StaffUser).findOneBy({ email });
    const wait = this.throttle.wait(keys, this.clock());
    if (wait > 0) {
      if (staff) await this.audit.recordAlone(this.anonymous(staff, email, ip), { action: 'auth.login_throttled', targetType: 'staff', targetId: staff.id });
      throw throttled(wait);
    }
    const ok = await verifyPassword(password, staff?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!staff || !ok || !staff.active) {
      this.throttle.fail(keys, this.clock());
      if (staff) await this.audit.recordAlone(this.anonymous(staff, email, ip), { action: 'auth.login_failed', targetType: 'staff', targetId: staff.id });
      throw unauthorized('Wrong e-mail or password', 'invalid_credentials');
    }
    this.throttle.clear(keys[0]![0]);
    this.throttle.clear(keys[2]![0]);
    if (passwordNeedsRehash(staff.passwordHash)) {
      // Hashes made at an older cost are upgraded while the password is at hand.
      staff.passwordHash = await hashPassword(password);
      await this.db.manager.getRepository(StaffUser).update({ id: staff.id }, { passwordHash: staff.passwordHash });
    }
    if (staff.mfaEnabledAt) {
      const expiresAt = new Date(Date.now() + MFA_CHALLENGE_MS);
      const challenge = this.opts.secrets.seal(
        JSON.stringify({ t: 'mfa', s: staff.id, e: expiresAt.getTime(), n: randomToken(12), p: sha256(staff.passwordHash).slice(0, 16) }),
      );
      return { kind: 'mfa', challenge, staff, expiresAt };
    }
    return { kind: 'session', ...(await this.openSession(staff, ip, 'password')) };
  }

  /**
   * The second step: a six-digit code from the authenticator app (each accepted once) or one of the
   * recovery codes (each used once). A challenge allows 5 wrong codes; then the password step again.
   */
  async completeMfa(challenge: string, code: string, ip: string): Promise<{ token: string; staff: StaffUser; expiresAt: Date }> {
    let claim: { t: string; s: string; e: number; n: string; p: string };
    try {
      claim = JSON.parse(this.opts.secrets.open(challenge));
    } catch {
      throw unauthorized('The sign-in step has expired; enter your password again', 'mfa_challenge_invalid');
    }
    if (claim.t !== 'mfa' || claim.e < Date.now()) throw unauthorized('The sign-in step has expired; enter your password again', 'mfa_challenge_invalid');
    const staff = await this.db.manager.getRepository(StaffUser).findOneBy({ id: claim.s });
    if (!staff || !staff.active || !staff.mfaEnabledAt || sha256(staff.passwordHash).slice(0, 16) !== claim.p) {
      throw unauthorized('The sign-in step has expired; enter your password again', 'mfa_challenge_invalid');
    }
    const keys: [string, BackoffPolicy][] = [[`m:${staff.id}`, MFA_BACKOFF]];
    const tries = this.challengeTries.get(claim.n) ?? 0;
    const wait = this.throttle.wait(keys, this.clock());
    if (tries >= MFA_TRIES_PER_CHALLENGE || wait > 0) {
      await this.audit.recordAlone(this.anonymous(staff, staff.email, ip), { action: 'auth.mfa_throttled', targetType: 'staff', targetId: staff.id });
      if (tries >= MFA_TRIES_PER_CHALLENGE) throw tooMany('mfa_attempts_exceeded', 'Too many wrong codes; enter your password again');
      throw throttled(wait, 'Too many wrong codes');
    }
    const used = await this.useSecondFactor(staff, code);
    if (!used) {
      this.challengeTries.set(claim.n, tries + 1);
      if (this.challengeTries.size > 100_000) this.challengeTries.clear();
      this.throttle.fail(keys, this.clock());
      await this.audit.recordAlone(this.anonymous(staff, staff.email, ip), { action: 'auth.mfa_failed', targetType: 'staff', targetId: staff.id });
      throw unauthorized('Wrong code', 'invalid_mfa_code');
    }
    this.challengeTries.set(claim.n, MFA_TRIES_PER_CHALLENGE); // one challenge opens one session
    this.throttle.clear(keys[0]![0]);
    return this.openSession(staff, ip, used);
  }

  private totp(staff: StaffUser, secretBase32: string, issuer = 'Loyalty hub'): TOTP {
    return new TOTP({ issuer, label: staff.email, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD, secret: Secret.fromBase32(secretBase32) });
  }

  /** The time step a code is good for, or null; a step already used (or older) does not count again. */
  private totpStep(staff: StaffUser, secretBase32: string, code: string): number | null {
    const token = normalizeTotp(code);
    if (!token) return null;
    const delta = this.totp(staff, secretBase32).validate({ token, window: 1 });
    if (delta === null) return null;
    const step = Math.floor(Date.now() / 1000 / TOTP_PERIOD) + delta;
    return staff.mfaLastStep !== null && step <= staff.mfaLastStep ? null : step;
  }

  private recoveryHash(staff: StaffUser, code: string): string {
    return sha256(`${staff.id}:${code}`);
  }

  /**
   * Checks a second-factor code against the member's enrolled secret and recovery codes and spends
   * it (a conditional update, so two instances cannot both accept one code). Returns how it was met.
   */
  private async useSecondFactor(staff: StaffUser, code: string): Promise<'totp' | 'recovery_code' | null> {
    if (!staff.mfaSecret || !staff.mfaEnabledAt) return null;
    const repo = this.db.manager.getRepository(StaffUser);
    const step = this.totpStep(staff, this.opts.secrets.open(staff.mfaSecret), code);
    if (step !== null) {
      const res = await repo
        .createQueryBuilder()
        .update()
        .set({ mfaLastStep: step })
        .where('id = :id AND (mfaLastStep IS NULL OR mfaLastStep < :step)', { id: staff.id, step })
        .execute();
      if (!res.affected) return null;
      staff.mfaLastStep = step;
      return 'totp';
    }
    const recovery = normalizeRecoveryCode(code);
    if (!recovery) return null;
    const hash = this.recoveryHash(staff, recovery);
    const codes = staff.mfaRecoveryCodes ?? [];
    if (!codes.some((h) => safeEqualHex(h, hash))) return null;
    const left = codes.filter((h) => h !== hash);
    // The old list in the WHERE makes spending a code atomic across instances.
    const res = await repo
      .createQueryBuilder()
      .update()
      .set({ mfaRecoveryCodes: left })
      .where('id = :id AND mfaRecoveryCodes = :was', { id: staff.id, was: JSON.stringify(codes) })
      .execute();
    if (!res.affected) return null;
    staff.mfaRecoveryCodes = left;
    await this.audit.recordAlone(
      { businessId: staff.businessId, actor: this.selfActor(staff) },
      { action: 'staff.mfa_recovery_code_used', targetType: 'staff', targetId: staff.id, after: { recoveryCodesLeft: left.length } },
    );
    return 'recovery_code';
  }

  private async openSession(staff: StaffUser, ip: string, method: string): Promise<{ token: string; staff: StaffUser; expiresAt: Date }> {
    const token = randomToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.opts.sessionTtlHours * 3600 * 1000);
    await this.db.transaction(async (tx) => {
      await tx
        .getRepository(StaffSession)
        .insert(
          tx.getRepository(StaffSession).create({ businessId: staff.businessId, tokenHash: sha256(token), staffId: staff.id, expiresAt, ip, lastSeenAt: now }),
        );
      await tx.getRepository(StaffUser).update({ id: staff.id }, { lastLoginAt: now });
      await this.audit.record({ businessId: staff.businessId, actor: this.selfActor(staff, ip) }, tx, {
        action: 'auth.login',
        targetType: 'staff',
        targetId: staff.id,
        after: { method },
      });
    });
    return { token, staff, expiresAt };
  }

  /**
   * The session behind a cookie token, or undefined when unknown, past its lifetime or idle longer
   * than SESSION_IDLE_MINUTES (then it is deleted). The idle clock is written once a minute at most.
   */
  async resolveSession(token: string, ip?: string): Promise<SessionInfo | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const repo = this.db.manager.getRepository(StaffSession);
    const session = await repo.findOneBy({ tokenHash: sha256(token) });
    const now = Date.now();
    if (!session || session.expiresAt.getTime() < now) return undefined;
    const seen = (session.lastSeenAt ?? session.createdAt).getTime();
    if (now - seen > this.opts.sessionIdleMinutes * 60_000) {
      await repo.delete({ id: session.id });
      return undefined;
    }
    const staff = await this.db.manager.getRepository(StaffUser).findOneBy({ id: session.staffId, businessId: session.businessId });
    if (!staff || !staff.active) return undefined;
    if (now - seen > SEEN_GRANULARITY_MS) await repo.update({ id: session.id }, { lastSeenAt: new Date(now) });
    const needsMfa = (MFA_REQUIRED_ROLES as readonly string[]).includes(staff.role) && !staff.mfaEnabledAt;
    const mfaMissing = needsMfa && (await this.settings({ businessId: staff.businessId, actor: systemActor() })).requireMfaForAdmins;
    return { businessId: staff.businessId, staff, sessionId: session.id, mfaMissing, actor: this.selfActor(staff, ip) };
  }

  async logout(token: string): Promise<void> {
    await this.db.manager.getRepository(StaffSession).delete({ tokenHash: sha256(token) });
  }

  /** Every business with its time zone: the scheduler reads per-business job times in it. */
  async businessZones(): Promise<{ id: string; timezone: string }[]> {
    return this.db.manager.getRepository(Business).find({ select: { id: true, timezone: true }, order: { id: 'ASC' } });
  }

  /** Removes sessions past their lifetime or idle longer than the idle timeout (periodic job). */
  async purgeSessions(): Promise<number> {
    const now = new Date();
    const idle = new Date(now.getTime() - this.opts.sessionIdleMinutes * 60_000);
    const res = await this.db.manager
      .getRepository(StaffSession)
      .createQueryBuilder()
      .delete()
      .where('expiresAt < :now OR lastSeenAt < :idle OR (lastSeenAt IS NULL AND createdAt < :idle)', { now, idle })
      .execute();
    return res.affected ?? 0;
  }

  /** Ends every other session of a member (after a password change or a second factor turned on). */
  private async endOtherSessions(ctx: Ctx, staffId: string, keepSessionId?: string): Promise<number> {
    const qb = (ctx.tx ?? this.db.manager)
      .getRepository(StaffSession)
      .createQueryBuilder()
      .delete()
      .where('staffId = :staffId AND businessId = :b', { staffId, b: ctx.businessId });
    if (keepSessionId) qb.andWhere('id <> :keep', { keep: keepSessionId });
    return (await qb.execute()).affected ?? 0;
  }

  // ---------- the signed-in member's own account ----------

  private async me(ctx: Ctx): Promise<StaffUser> {
    if (ctx.actor.type !== 'staff') throw forbidden('Only a staff member has an account to change');
    const s = await (ctx.tx ?? this.db.manager).getRepository(StaffUser).findOneBy({ id: ctx.actor.id, businessId: ctx.businessId });
    if (!s) throw notFound('Staff member');
    return s;
  }

  /** Checks the member's current password for a sensitive change; wrong guesses back off like sign-ins. */
  private async confirmPassword(ctx: Ctx, staff: StaffUser, password: string, field: string): Promise<void> {
    const keys: [string, BackoffPolicy][] = [[`pw:${staff.id}`, LOGIN_BACKOFF.emailAndIp]];
    const wait = this.throttle.wait(keys, this.clock());
    if (wait > 0) throw throttled(wait, 'Too many wrong passwords');
    if (!(await verifyPassword(password, staff.passwordHash))) {
      this.throttle.fail(keys, this.clock());
      await this.audit.recordAlone(ctx, { action: 'staff.password_check_failed', targetType: 'staff', targetId: staff.id });
      throw new Problem(422, 'wrong_password', 'The current password is wrong', [{ field, message: 'Wrong password' }]);
    }
    this.throttle.clear(keys[0]![0]);
  }

  /** Self-service password change: the current password, a policy-checked new one; other sessions end. */
  async changeOwnPassword(ctx: Ctx, sessionId: string, body: { currentPassword: string; newPassword: string }): Promise<{ sessionsEnded: number }> {
    const staff = await this.me(ctx);
    // The policy first: it costs nothing, the current-password check costs a scrypt.
    this.checkPassword(body.newPassword, 'newPassword', staff);
    await this.confirmPassword(ctx, staff, body.currentPassword, 'currentPassword');
    if (body.newPassword === body.currentPassword) throw weakPassword('newPassword', 'The new password must differ from the current one');
    const passwordHash = await hashPassword(body.newPassword);
    return inTx(this.db, ctx, async (tx) => {
      await tx.getRepository(StaffUser).update({ id: staff.id }, { passwordHash });
      const sessionsEnded = await this.endOtherSessions({ ...ctx, tx }, staff.id, sessionId);
      await this.audit.record(ctx, tx, {
        action: 'staff.password_changed',
        targetType: 'staff',
        targetId: staff.id,
        after: { ...staffOut(staff), sessionsEnded, self: true },
      });
      return { sessionsEnded };
    });
  }

  /** Two-factor state of the signed-in member. */
  async security(ctx: Ctx): Promise<{ mfaEnabled: boolean; mfaRequired: boolean; recoveryCodesLeft: number }> {
    const staff = await this.me(ctx);
    const settings = await this.settings(ctx);
    return {
      mfaEnabled: !!staff.mfaEnabledAt,
      mfaRequired: settings.requireMfaForAdmins && (MFA_REQUIRED_ROLES as readonly string[]).includes(staff.role),
      recoveryCodesLeft: staff.mfaEnabledAt ? (staff.mfaRecoveryCodes ?? []).length : 0,
    };
  }

  /**
   * Starts enrolment: a new secret, sealed at rest, shown this once as text, otpauth:// URI and QR.
   * It takes effect only when confirmed with a code from the app.
   */
  async startMfa(ctx: Ctx): Promise<MfaEnrolment> {
    const staff = await this.me(ctx);
    if (staff.mfaEnabledAt) throw conflict('mfa_already_enabled', 'Two-factor sign-in is already on; turn it off first to enrol another device');
    const business = await this.getBusiness(ctx);
    const secret = new Secret({ size: 20 }).base32;
    await this.db.manager
      .getRepository(StaffUser)
      .update({ id: staff.id }, { mfaSecret: this.opts.secrets.seal(secret), mfaEnabledAt: null, mfaRecoveryCodes: null, mfaLastStep: null });
    const otpauthUri = this.totp(staff, secret, business.name).toString();
    const svg = await QRCode.toString(otpauthUri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { secret, otpauthUri, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /** Confirms enrolment with a current code; returns the 10 recovery codes (shown once, kept hashed). */
  async confirmMfa(ctx: Ctx, sessionId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const staff = await this.me(ctx);
    if (staff.mfaEnabledAt) throw conflict('mfa_already_enabled', 'Two-factor sign-in is already on');
    if (!staff.mfaSecret) throw conflict('mfa_not_started', 'Start enrolment first');
    const step = this.totpStep(staff, this.opts.secrets.open(staff.mfaSecret), code);
    if (step === null)
      throw new Problem(422, 'invalid_mfa_code', 'Wrong code: type the six digits the app shows now', [{ field: 'code', message: 'Wrong code' }]);
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = Array.from(randomBytes(12), (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
      return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
    });
    return inTx(this.db, ctx, async (tx) => {
      await tx
        .getRepository(StaffUser)
        .update({ id: staff.id }, { mfaEnabledAt: new Date(), mfaLastStep: step, mfaRecoveryCodes: recoveryCodes.map((c) => this.recoveryHash(staff, c)) });
      const sessionsEnded = await this.endOtherSessions({ ...ctx, tx }, staff.id, sessionId);
      await this.audit.record(ctx, tx, { action: 'staff.mfa_enabled', targetType: 'staff', targetId: staff.id, after: { method: 'totp', sessionsEnded } });
      return { recoveryCodes };
    });
  }

  /** Turns the second factor off: the password and a current code (or a recovery code) are both needed. */
  async disableMfa(ctx: Ctx, body: { password: string; code: string }): Promise<void> {
    const staff = await this.me(ctx);
    if (!staff.mfaEnabledAt) throw conflict('mfa_not_enabled', 'Two-factor sign-in is not on');
    const settings = await this.settings(ctx);
    if (settings.requireMfaForAdmins && (MFA_REQUIRED_ROLES as readonly string[]).includes(staff.role)) {
      throw conflict('mfa_required_by_business', 'The business requires two-factor sign-in for owners and admins');
    }
    await this.confirmPassword(ctx, staff, body.password, 'password');
    if (!(await this.useSecondFactor(staff, body.code))) {
      await this.audit.recordAlone(ctx, { action: 'auth.mfa_failed', targetType: 'staff', targetId: staff.id });
      throw new Problem(422, 'invalid_mfa_code', 'Wrong code', [{ field: 'code', message: 'Wrong code' }]);
    }
    await inTx(this.db, ctx, async (tx) => {
      await tx.getRepository(StaffUser).update({ id: staff.id }, { mfaSecret: null, mfaEnabledAt: null, mfaRecoveryCodes: null, mfaLastStep: null });
      await this.audit.record(ctx, tx, { action: 'staff.mfa_disabled', targetType: 'staff', targetId: staff.id });
    });
  }

  async staffByIds(ctx: Ctx, ids: string[]): Promise<StaffUser[]> {
    if (!ids.length) return [];
    return this.db.manager.getRepository(StaffUser).findBy({ businessId: ctx.businessId, id: In(ids) });
  }

  async activeTerminals(ctx: Ctx): Promise<Terminal[]> {
    return this.db.manager.getRepository(Terminal).findBy({ businessId: ctx.businessId, revokedAt: IsNull() });
  }
}
