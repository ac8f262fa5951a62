/**
 * Staff accounts (issue 19): password policy, self-service password change, TOTP second factor with
 * recovery codes, the business's requirement for owners and admins, scrypt cost and rehash, the
 * `__Host-` cookie, the idle timeout, and sign-in back-off that never locks the owner out.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { StaffSession, StaffUser } from '../../src/modules/tenants/tenants.entity';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { systemActor } from '../../src/shared/context';

const cookieOf = (res: { headers: Record<string, unknown> }) =>
  ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]).join('; ');
const totpFor = (secret: string) => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
/** A code of the next 30 s step: accepted (window ±1) and newer than a code just used. */
const nextCode = (secret: string, steps = 1) => totpFor(secret).generate({ timestamp: Date.now() + steps * 30_000 });

describeEachDb('staff accounts', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  beforeAll(async () => {
    t = await createTestHub({ db: backend, env: { TRUST_PROXY: '1' } });
    b = await t.business('Accounts');
  });
  afterAll(() => t.close());

  const admin = (method: 'get' | 'post' | 'patch', path: string, cookie = b.ownerCookie) => t.http[method](path).set('Cookie', cookie);
  const addStaff = async (email: string, role: string, password = 'staff-password-77') => {
    const r = await admin('post', '/v1/admin/staff').send({ email, name: 'Member', role, password });
    expect([r.status, r.body.errors]).toEqual([201, undefined]);
    return r.body as { id: string };
  };

  it('refuses common, breached, short and one-character passwords with a 422 naming the field', async () => {
    const tries = ['aaaaaaaaaa', 'password12', 'qwertyuiop', '1234567890', 'iloveyou12', 'short-1'];
    for (const password of tries) {
      const r = await admin('post', '/v1/admin/staff').send({
        email: `weak.${randomBytes(3).toString('hex')}@example.com`,
        name: 'W',
        role: 'cashier',
        password,
      });
      expect([password, r.status, r.body.code, r.body.errors?.[0]?.field]).toEqual([password, 422, 'weak_password', 'password']);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const s = await addStaff('policy@example.com', 'cashier');
    const patch = await admin('patch', `/v1/admin/staff/${s.id}`).send({ password: 'password12' });
    expect([patch.status, patch.body.errors]).toEqual([422, [{ field: 'password', message: expect.stringMatching(/common/) }]]);
    await expect(
      t.hub.services.tenants.createBusiness({
        name: 'Weak',
        currency: 'RUB',
        timezone: 'UTC',
        owner: { email: 'weak.owner@example.com', name: 'O', password: 'aaaaaaaaaa' },
      }),
    ).rejects.toMatchObject({ status: 422, errors: [{ field: 'owner.password' }] });
  });

  it('changes one’s own password only with the current one; other sessions end; audited', async () => {
    await addStaff('changer@example.com', 'marketer', 'first-password-9');
    const here = await t.login('changer@example.com', 'first-password-9');
    const elsewhere = await t.login('changer@example.com', 'first-password-9');
    const change = (body: object) => t.http.post('/v1/admin/me/password').set('Cookie', here).send(body);
    const wrong = await change({ currentPassword: 'not-my-password', newPassword: 'second-password-9' });
    expect([wrong.status, wrong.body.errors?.[0]?.field]).toEqual([422, 'currentPassword']);
    const weak = await change({ currentPassword: 'first-password-9', newPassword: 'password12' });
    expect([weak.status, weak.body.code, weak.body.errors?.[0]?.field]).toEqual([422, 'weak_password', 'newPassword']);
    const ok = await change({ currentPassword: 'first-password-9', newPassword: 'second-password-9' });
    expect([ok.status, ok.body]).toEqual([200, { sessionsEnded: 1 }]);
    await t.http.get('/v1/admin/session').set('Cookie', elsewhere).expect(401);
    await t.http.get('/v1/admin/session').set('Cookie', here).expect(200);
    await t.http.post('/v1/admin/session').send({ email: 'changer@example.com', password: 'first-password-9' }).expect(401);
    await t.login('changer@example.com', 'second-password-9');
    const audit = await t.hub.db.manager.getRepository(AuditEntry).findOneByOrFail({ businessId: b.businessId, action: 'staff.password_changed' });
    expect(JSON.stringify(audit)).not.toMatch(/second-password-9|scrypt\$/);
  });

  it('enrols TOTP with a QR, asks for a code at sign-in, takes each code and recovery code once, and turns off with password + code', async () => {
    await addStaff('mfa@example.com', 'admin', 'mfa-password-42');
    const cookie = await t.login('mfa@example.com', 'mfa-password-42');
    const other = await t.login('mfa@example.com', 'mfa-password-42');
    const start = await t.http.post('/v1/admin/me/mfa').set('Cookie', cookie).expect(201);
    const secret: string = start.body.secret;
    expect(start.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.+secret=/);
    expect(start.body.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(start.body.qrDataUrl.split(',')[1], 'base64').toString()).toMatch(/<svg/);
    const row = await t.hub.db.manager.getRepository(StaffUser).findOneByOrFail({ email: 'mfa@example.com' });
    expect(row.mfaSecret).toMatch(/^v1\./);
    expect(row.mfaSecret).not.toContain(secret);
    // Not on until confirmed: the password alone still signs in.
    expect((await t.http.post('/v1/admin/session').send({ email: 'mfa@example.com', password: 'mfa-password-42' })).body.staff).toBeDefined();

    const bad = await t.http.post('/v1/admin/me/mfa/confirm').set('Cookie', cookie).send({ code: '000000' });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([422, 'code']);
    const confirm = await t.http
      .post('/v1/admin/me/mfa/confirm')
      .set('Cookie', cookie)
      .send({ code: totpFor(secret).generate() })
      .expect(200);
    const codes: string[] = confirm.body.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = JSON.stringify(await t.hub.db.manager.getRepository(StaffUser).findOneByOrFail({ email: 'mfa@example.com' }));
    expect(codes.some((c) => stored.includes(c))).toBe(false);
    await t.http.get('/v1/admin/session').set('Cookie', other).expect(401); // other sessions end on enrolment
    expect((await t.http.get('/v1/admin/me/security').set('Cookie', cookie)).body).toEqual({ mfaEnabled: true, mfaRequired: false, recoveryCodesLeft: 10 });

    // Sign-in is two steps now: no cookie after the password.
    const step1 = await t.http.post('/v1/admin/session').send({ email: 'mfa@example.com', password: 'mfa-password-42' }).expect(200);
    expect(step1.body).toEqual({ mfaRequired: true, challenge: expect.any(String), expiresAt: expect.any(String) });
    expect(step1.headers['set-cookie']).toBeUndefined();
    const mfa = (challenge: string, code: string) => t.http.post('/v1/admin/session/mfa').send({ challenge, code });
    expect((await mfa(step1.body.challenge, '123456')).status).toBe(401);
    expect((await mfa(step1.body.challenge.slice(0, -2) + 'xx', nextCode(secret))).body.code).toBe('mfa_challenge_invalid');
    const code = nextCode(secret);
    const step2 = await mfa(step1.body.challenge, code).expect(200);
    expect(step2.body.staff.email).toBe('mfa@example.com');
    await t.http.get('/v1/admin/session').set('Cookie', cookieOf(step2)).expect(200);
    // The same code again (a replay within its window) is refused.
    const again = await t.http.post('/v1/admin/session').send({ email: 'mfa@example.com', password: 'mfa-password-42' });
    expect((await mfa(again.body.challenge, code)).status).toBe(401);
    // A recovery code works once, typed in capitals without dashes.
    const viaRecovery = await mfa(again.body.challenge, codes[0]!.replace(/-/g, '').toUpperCase()).expect(200);
    expect(viaRecovery.body.staff.email).toBe('mfa@example.com');
    const third = await t.http.post('/v1/admin/session').send({ email: 'mfa@example.com', password: 'mfa-password-42' });
    expect((await mfa(third.body.challenge, codes[0]!)).status).toBe(401);
    // Five wrong codes burn a challenge.
    const burnt: number[] = [];
    for (let i = 0; i < 6; i++) burnt.push((await mfa(third.body.challenge, String(100000 + i))).status);
    expect(burnt.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(burnt[5]).toBe(429);

    const off = (body: object) => t.http.post('/v1/admin/me/mfa/disable').set('Cookie', cookie).send(body);
    expect((await off({ password: 'wrong-password-1', code: nextCode(secret, 2) })).body.errors?.[0]?.field).toBe('password');
    expect((await off({ password: 'mfa-password-42', code: '000000' })).body.errors?.[0]?.field).toBe('code');
    await off({ password: 'mfa-password-42', code: codes[1]! }).expect(204);
    expect((await t.http.post('/v1/admin/session').send({ email: 'mfa@example.com', password: 'mfa-password-42' })).body.staff).toBeDefined();
    const actions = (await t.hub.db.manager.getRepository(AuditEntry).findBy({ businessId: b.businessId })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['staff.mfa_enabled', 'auth.mfa_failed', 'staff.mfa_recovery_code_used', 'staff.mfa_disabled']));
  });

  it('requires a second factor for owners and admins when the business says so; on by default only in production', async () => {
    const prod = new TenantsService(t.hub.db, t.hub.services.audit, {
      sessionTtlHours: 1,
      sessionIdleMinutes: 60,
      secureCookies: true,
      production: true,
      secrets: t.hub.secrets,
    });
    const { business: inProd } = await prod.createBusiness({
      name: 'Prod',
      currency: 'RUB',
      timezone: 'UTC',
      owner: { email: 'prod.owner@example.com', name: 'P', password: 'prod-owner-pass-1' },
    });
    expect(inProd.settings.requireMfaForAdmins).toBe(true);
    const demo = await prod.createBusiness({
      name: 'Demo',
      currency: 'RUB',
      timezone: 'UTC',
      owner: { email: 'demo.owner@example.com', name: 'D', password: 'demo-owner-pass-1' },
      requireMfaForAdmins: false,
    });
    expect(demo.business.settings.requireMfaForAdmins).toBe(false);
    expect((await admin('get', '/v1/admin/business')).body.settings.requireMfaForAdmins).toBe(false); // created with NODE_ENV=test

    // An owner without a second factor cannot switch the requirement on (it would shut them out).
    const refused = await admin('patch', '/v1/admin/business').send({ settings: { requireMfaForAdmins: true } });
    expect([refused.status, refused.body.code]).toEqual([409, 'mfa_not_enrolled']);

    const ctx = { businessId: inProd.id, actor: systemActor('test') };
    await t.hub.services.tenants.createStaff(ctx, { email: 'prod.cashier@example.com', name: 'C', role: 'cashier', password: 'prod-cashier-pass-1' });
    const owner = await t.login('prod.owner@example.com', 'prod-owner-pass-1');
    const blocked = await t.http.get('/v1/admin/locations').set('Cookie', owner);
    expect([blocked.status, blocked.body.code]).toEqual([403, 'mfa_enrolment_required']);
    expect((await t.http.get('/v1/admin/session').set('Cookie', owner)).status).toBe(200);
    expect((await t.http.get('/v1/admin/me/security').set('Cookie', owner)).body).toMatchObject({ mfaEnabled: false, mfaRequired: true });
    // A cashier of the same business is not concerned.
    const cashier = await t.login('prod.cashier@example.com', 'prod-cashier-pass-1');
    await t.http.get('/v1/admin/locations').set('Cookie', cashier).expect(200);
    // Enrolling opens the console; the requirement then forbids turning it off.
    const start = await t.http.post('/v1/admin/me/mfa').set('Cookie', owner).expect(201);
    await t.http
      .post('/v1/admin/me/mfa/confirm')
      .set('Cookie', owner)
      .send({ code: totpFor(start.body.secret).generate() })
      .expect(200);
    await t.http.get('/v1/admin/locations').set('Cookie', owner).expect(200);
    const off = await t.http
      .post('/v1/admin/me/mfa/disable')
      .set('Cookie', owner)
      .send({ password: 'prod-owner-pass-1', code: nextCode(start.body.secret) });
    expect([off.status, off.body.code]).toEqual([409, 'mfa_required_by_business']);
  });

  it('lets an admin turn off a member’s lost second factor (not an owner’s, not their own); audited, sessions end', async () => {
    const member = await addStaff('lost.phone@example.com', 'marketer', 'lost-phone-pass-1');
    const cookie = await t.login('lost.phone@example.com', 'lost-phone-pass-1');
    const secret: string = (await t.http.post('/v1/admin/me/mfa').set('Cookie', cookie).expect(201)).body.secret;
    await t.http
      .post('/v1/admin/me/mfa/confirm')
      .set('Cookie', cookie)
      .send({ code: totpFor(secret).generate() })
      .expect(200);
    await addStaff('reset.admin@example.com', 'admin', 'reset-admin-pass-1');
    const adminCookie = await t.login('reset.admin@example.com', 'reset-admin-pass-1');
    const owner = (await admin('get', '/v1/admin/staff')).body.items.find((x: { email: string }) => x.email === b.ownerEmail);
    expect((await t.http.post(`/v1/admin/staff/${owner.id}/mfa/reset`).set('Cookie', adminCookie)).status).toBe(403);
    const self = await t.http
      .post(
        `/v1/admin/staff/${(await admin('get', '/v1/admin/staff')).body.items.find((x: { email: string }) => x.email === 'reset.admin@example.com').id}/mfa/reset`,
      )
      .set('Cookie', adminCookie);
    expect([self.status, self.body.code]).toEqual([409, 'own_mfa']);
    const r = await t.http.post(`/v1/admin/staff/${member.id}/mfa/reset`).set('Cookie', adminCookie).expect(200);
    expect(r.body.mfaEnabled).toBe(false);
    await t.http.get('/v1/admin/session').set('Cookie', cookie).expect(401);
    expect((await t.http.post('/v1/admin/session').send({ email: 'lost.phone@example.com', password: 'lost-phone-pass-1' })).body.staff).toBeDefined();
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'staff.mfa_reset', targetId: member.id })).toBe(1);
  });

  it('hashes with scrypt N=2^17 and upgrades older hashes at the next good sign-in', async () => {
    const s = await addStaff('rehash@example.com', 'cashier', 'rehash-password-1');
    const repo = t.hub.db.manager.getRepository(StaffUser);
    expect((await repo.findOneByOrFail({ id: s.id })).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    const salt = randomBytes(16);
    const old = [
      'scrypt',
      16384,
      8,
      1,
      salt.toString('base64url'),
      scryptSync('rehash-password-1', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url'),
    ].join('$');
    await repo.update({ id: s.id }, { passwordHash: old });
    await t.http.post('/v1/admin/session').send({ email: 'rehash@example.com', password: 'wrong-password-2' }).expect(401);
    expect((await repo.findOneByOrFail({ id: s.id })).passwordHash).toBe(old); // not on a failure
    await t.login('rehash@example.com', 'rehash-password-1');
    const now = (await repo.findOneByOrFail({ id: s.id })).passwordHash;
    expect(now).toMatch(/^scrypt\$131072\$/);
    await t.login('rehash@example.com', 'rehash-password-1');
  });

  it('ends a session after SESSION_IDLE_MINUTES without a request, besides its lifetime', async () => {
    await addStaff('idle@example.com', 'cashier', 'idle-password-1');
    const cookie = await t.login('idle@example.com', 'idle-password-1');
    const repo = t.hub.db.manager.getRepository(StaffSession);
    const staff = await t.hub.db.manager.getRepository(StaffUser).findOneByOrFail({ email: 'idle@example.com' });
    const [session] = await repo.findBy({ staffId: staff.id });
    await repo.update({ id: session!.id }, { lastSeenAt: new Date(Date.now() - 30 * 60_000) });
    await t.http.get('/v1/admin/session').set('Cookie', cookie).expect(200);
    const touched = await repo.findOneByOrFail({ id: session!.id });
    expect(Date.now() - touched.lastSeenAt!.getTime()).toBeLessThan(5 * 60_000); // the idle clock restarted
    await repo.update({ id: session!.id }, { lastSeenAt: new Date(Date.now() - 61 * 60_000) });
    const r = await t.http.get('/v1/admin/session').set('Cookie', cookie);
    expect([r.status, r.body.code]).toEqual([401, 'session_expired']);
    expect(await repo.countBy({ id: session!.id })).toBe(0);
  });

  it('backs off wrong guesses per e-mail and address, yet the right password signs in from another address or after the wait', async () => {
    await addStaff('target@example.com', 'owner', 'target-password-1');
    // The back-off's clock stands still while the guesses run (a slow machine must not end the wait early) and is moved on by hand.
    const tenants = t.hub.services.tenants;
    let now = Date.now();
    tenants.clock = () => now;
    const from = (ip: string, password: string) => t.http.post('/v1/admin/session').set('X-Forwarded-For', ip).send({ email: 'target@example.com', password });
    const statuses: number[] = [];
    let retryAfter = '';
    for (let i = 0; i < 12; i++) {
      const r = await from('203.0.113.7', `guess-number-${i}`);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = String(r.headers['retry-after']);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await from('203.0.113.7', 'target-password-1')).status).toBe(429); // the attacker's address waits
    expect((await from('198.51.100.20', 'target-password-1')).status).toBe(200); // the owner elsewhere signs in
    for (let i = 0; i < 5; i++) await from('203.0.113.8', `guess-again-${i}`);
    const wait = await from('203.0.113.8', 'target-password-1');
    expect(wait.status).toBe(429);
    now += Number(wait.headers['retry-after']) * 1000;
    expect((await from('203.0.113.8', 'target-password-1')).status).toBe(200);
    tenants.clock = Date.now;
  });
});

describe('session cookie behind https', () => {
  let t: TestHub;
  afterAll(() => t.close());
  it('is `__Host-` prefixed, Secure, Path=/ and without Domain; the bare name is not read', async () => {
    t = await createTestHub({ db: 'sqlite', env: { PUBLIC_URL: 'https://loyalty.example.com' } });
    const b = await t.business();
    const res = await t.http.post('/v1/admin/session').send({ email: b.ownerEmail, password: b.ownerPassword }).expect(200);
    const set = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(set).toMatch(/^__Host-lh_session=/);
    expect(set).toMatch(/; Secure/);
    expect(set).toMatch(/; Path=\//);
    expect(set).not.toMatch(/Domain=/i);
    const token = set.split(';')[0]!.split('=')[1]!;
    await t.http.get('/v1/admin/session').set('Cookie', `__Host-lh_session=${token}`).expect(200);
    await t.http.get('/v1/admin/session').set('Cookie', `lh_session=${token}`).expect(401);
  });
});
