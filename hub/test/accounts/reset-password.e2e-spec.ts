/**
 * An owner who forgot the password (issue 18): `loyalty-hub reset-password <e-mail>` on the server
 * gives a new one, ends the old sessions and leaves a line in the history; an owner resets a staff
 * member's password in the console (PATCH /v1/admin/staff/{id}).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Db } from '../../src/db/db';
import { resetStaffPassword } from '../../src/cli/reset-password';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';

describeEachDb('reset-password', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Forgetful café');
  });
  afterAll(() => t.close());

  it('gives the owner a new generated password, ends their sessions and records it', async () => {
    const r = await resetStaffPassword(t.hub.db, b.ownerEmail.toUpperCase());
    expect(r.generated).toMatch(/^[A-Za-z0-9]{16}$/);
    await t.http.get('/v1/admin/session').set('Cookie', b.ownerCookie).expect(401);
    await t.http.post('/v1/admin/session').send({ email: b.ownerEmail, password: b.ownerPassword }).expect(401);
    const cookie = await t.login(b.ownerEmail, r.generated!);
    const audit = await t.http.get('/v1/admin/audit').set('Cookie', cookie).expect(200);
    expect(audit.body.items.find((x: { action: string }) => x.action === 'staff.password_changed')).toMatchObject({ actorType: 'system' });
    b.ownerCookie = cookie;
  });

  it('refuses an unknown e-mail and a weak given password, changing nothing', async () => {
    await expect(resetStaffPassword(t.hub.db, 'nobody@example.com')).rejects.toThrow('No staff member');
    await expect(resetStaffPassword(t.hub.db, b.ownerEmail, '123')).rejects.toThrow();
    await t.http.get('/v1/admin/session').set('Cookie', b.ownerCookie).expect(200);
  });

  if (backend === 'sqlite') {
    it('runs as `loyalty-hub reset-password` against the embedded database', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reset-pw-'));
      // A migrated, empty embedded database, as a hub leaves it.
      await (await Db.open({ sqlitePath: path.join(dir, 'loyalty.sqlite') })).close();
      const bin = path.join(__dirname, '../../bin/hub.js');
      const env = { ...process.env, DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent', SEED_DEMO: 'false', NODE_ENV: 'development' };
      const run = promisify(execFile);
      const usage = await run(process.execPath, [bin, 'reset-password', '--help'], { env }).catch((e: { stderr: string }) => e);
      expect(usage.stderr).toContain('Usage: loyalty-hub reset-password');
      const missing = await run(process.execPath, [bin, 'reset-password', 'ghost@example.com'], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(missing).toMatchObject({ code: 1 });
      expect((missing as { stderr: string }).stderr).toContain('No staff member with the e-mail ghost@example.com');
      fs.rmSync(dir, { recursive: true, force: true });
    }, 60_000);
  }
});
