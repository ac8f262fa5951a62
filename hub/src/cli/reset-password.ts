import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { Db } from '../db/db';
import { AuditService } from '../modules/audit/audit.service';
import { StaffUser } from '../modules/tenants/tenants.entity';
import { TenantsService } from '../modules/tenants/tenants.service';
import { systemActor } from '../shared/context';
import { randomPassword, randomToken, SecretBox } from '../shared/crypto';

export const RESET_PASSWORD_USAGE = `Usage: loyalty-hub reset-password <e-mail> [--password-stdin]
  Sets a new console password for the staff member with this e-mail (an owner who forgot theirs),
  ends their sessions and writes "staff.password_changed" to the business's history.
  Without --password-stdin a random password is generated and printed once.
  Runs with the hub's settings (DATABASE_URL or DATA_DIR), on the server, as the hub's user.
`;

export interface ResetPasswordResult {
  email: string;
  businessId: string;
  /** Set when the password was generated (to print it). */
  generated?: string;
}

/**
 * Gives a staff member a new password through the same service path as an owner's reset in the
 * console (strength check, sessions ended, audit row), acting as `system: reset-password`.
 */
export async function resetStaffPassword(db: Db, email: string, password?: string): Promise<ResetPasswordResult> {
  const staff = await db.manager.getRepository(StaffUser).findOneBy({ email: email.trim().toLowerCase() });
  if (!staff) throw new Error(`No staff member with the e-mail ${email}`);
  const generated = password ? undefined : randomPassword(16);
  // Nothing is sealed here: the secret box is only needed to build the service.
  const tenants = new TenantsService(db, new AuditService(db), {
    sessionTtlHours: 12,
    sessionIdleMinutes: 60,
    secureCookies: false,
    production: false,
    secrets: new SecretBox(randomToken(48)),
  });
  await tenants.updateStaff({ businessId: staff.businessId, actor: systemActor('reset-password') }, staff.id, { password: password ?? generated });
  return { email: staff.email, businessId: staff.businessId, generated };
}

/** `loyalty-hub reset-password <e-mail> [--password-stdin]`. */
export async function resetPasswordCommand(argv: string[], config: Config): Promise<number> {
  const email = argv.find((a) => !a.startsWith('-'));
  if (!email || argv.includes('--help')) {
    process.stderr.write(RESET_PASSWORD_USAGE);
    return email ? 0 : 2;
  }
  const password = argv.includes('--password-stdin') ? fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined;
  const db = await Db.open({ url: config.DATABASE_URL, sqlitePath: path.join(config.dataDir, 'loyalty.sqlite'), poolSize: 2 }, false);
  try {
    const r = await resetStaffPassword(db, email, password);
    process.stdout.write(
      r.generated ? `New password for ${r.email}: ${r.generated}\nSign in and change it under Settings › Security.\n` : `Password changed for ${r.email}.\n`,
    );
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const detail = (e as { errors?: { message: string }[] }).errors?.map((x) => x.message).join('; ');
    process.stderr.write(`reset-password failed: ${msg}${detail ? ` (${detail})` : ''}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

/** Entry from bin/hub.js: settings from the environment, quiet logs. */
export async function runResetPassword(argv: string[]): Promise<void> {
  const { loadConfig } = await import('../config');
  process.exitCode = await resetPasswordCommand(argv, loadConfig());
}
