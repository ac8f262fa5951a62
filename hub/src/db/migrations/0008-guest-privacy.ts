import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { col, createTable } from '../schema';

/**
 * Guest privacy (issue 19): the per-business SMS policy row (daily budget, per-IP and per-form caps,
 * allowed country prefixes) that also serializes code requests of a business, and the indexes the
 * caps count with.
 */
export class GuestPrivacy1764057600008 implements MigrationInterface {
  name = 'GuestPrivacy1764057600008';

  async up(qr: QueryRunner): Promise<void> {
    await createTable(
      qr,
      'engagement_sms_policies',
      [
        col.id(),
        col.ref('businessId'),
        { name: 'dailyBudget', type: 'int', default: '500' },
        { name: 'codesPerIpPerHour', type: 'int', default: '10' },
        { name: 'codesPerFormPerHour', type: 'int', default: '100' },
        col.json('allowedPrefixes', true),
        col.str('day', 10, true),
        { name: 'sentOnDay', type: 'int', default: '0' },
        col.time('exhaustedAt'),
      ],
      [{ name: 'ux_engagement_sms_policies_business', columnNames: ['businessId'], isUnique: true }],
    );
    await qr.createIndex('engagement_sms_codes', new TableIndex({ name: 'ix_engagement_sms_ip', columnNames: ['businessId', 'ip', 'createdAt'] }));
    await qr.createIndex('engagement_sms_codes', new TableIndex({ name: 'ix_engagement_sms_form', columnNames: ['formId', 'createdAt'] }));
    await qr.createIndex('engagement_sms_codes', new TableIndex({ name: 'ix_engagement_sms_created', columnNames: ['createdAt'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('engagement_sms_codes', 'ix_engagement_sms_created');
    await qr.dropIndex('engagement_sms_codes', 'ix_engagement_sms_form');
    await qr.dropIndex('engagement_sms_codes', 'ix_engagement_sms_ip');
    await qr.dropTable('engagement_sms_policies', true);
  }
}
