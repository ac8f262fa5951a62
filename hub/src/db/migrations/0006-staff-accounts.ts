import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col } from '../schema';

/** Staff accounts (issue 19): TOTP second factor with recovery codes, and the sessions' idle clock. */
export class StaffAccounts1764057600006 implements MigrationInterface {
  name = 'StaffAccounts1764057600006';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumns('staff_users', [
      new TableColumn(col.str('mfaSecret', 255, true)),
      new TableColumn(col.time('mfaEnabledAt')),
      new TableColumn(col.text('mfaRecoveryCodes')),
      new TableColumn(col.int('mfaLastStep', null)),
    ]);
    await qr.addColumn('staff_sessions', new TableColumn(col.time('lastSeenAt')));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('staff_sessions', 'lastSeenAt');
    for (const c of ['mfaLastStep', 'mfaRecoveryCodes', 'mfaEnabledAt', 'mfaSecret']) await qr.dropColumn('staff_users', c);
  }
}
