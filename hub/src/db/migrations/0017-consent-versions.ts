import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col } from '../schema';

/**
 * Consent evidence (152-ФЗ, 38-ФЗ; issue 20): each registration keeps the personal-data consent
 * text the guest agreed to with its version (a hash), and the marketing consent text when ticked.
 */
export class ConsentVersions1764057600017 implements MigrationInterface {
  name = 'ConsentVersions1764057600017';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumns('engagement_registrations', [
      new TableColumn(col.text('consentText')),
      new TableColumn(col.str('consentVersion', 16, true)),
      new TableColumn(col.text('marketingConsentText')),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const c of ['marketingConsentText', 'consentVersion', 'consentText']) await qr.dropColumn('engagement_registrations', c);
  }
}
