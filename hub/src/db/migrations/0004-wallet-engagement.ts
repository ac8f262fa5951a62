import { MigrationInterface, QueryRunner, TableColumnOptions } from 'typeorm';
import { col, createTable, isMysql } from '../schema';

/**
 * Wallet (card designs and images, Apple and Google credentials, passes, Apple device registrations,
 * the consumer inbox) and engagement (registration forms, SMS codes, registrations).
 */
export class WalletEngagement1764057600004 implements MigrationInterface {
  name = 'WalletEngagement1764057600004';

  async up(qr: QueryRunner): Promise<void> {
    const tenant = [col.id(), col.ref('businessId')];
    // Images are kept as base64 in the row: MySQL's TEXT holds 64 KB, MEDIUMTEXT 16 MB.
    const blob = (name: string): TableColumnOptions => ({ name, type: isMysql(qr) ? 'mediumtext' : 'text', isNullable: false });
    const int = (name: string, def = 0): TableColumnOptions => ({ name, type: 'int', default: String(def) });

    await createTable(
      qr,
      'wallet_designs',
      [...tenant, col.ref('programId'), col.json('design')],
      [{ name: 'ux_wallet_designs_program', columnNames: ['businessId', 'programId'], isUnique: true }],
    );
    await createTable(
      qr,
      'wallet_images',
      [
        ...tenant,
        col.ref('programId'),
        col.str('slot', 16),
        col.str('mime', 32),
        { name: 'width', type: 'int' },
        { name: 'height', type: 'int' },
        { name: 'bytes', type: 'int' },
        col.str('sha1', 40),
        blob('data'),
      ],
      [{ name: 'ux_wallet_images_slot', columnNames: ['businessId', 'programId', 'slot'], isUnique: true }],
    );
    await createTable(
      qr,
      'wallet_apple_accounts',
      [
        ...tenant,
        col.str('passTypeId', 128),
        col.str('teamId', 20),
        col.text('certPem', false),
        col.text('keySealed', false),
        col.text('wwdrPem', true),
        col.str('subject', 500),
        col.time('notAfter', false),
        col.str('apnsKeyId', 20, true),
        col.text('apnsKeySealed', true),
      ],
      [{ name: 'ux_wallet_apple_business', columnNames: ['businessId'], isUnique: true }],
    );
    await createTable(
      qr,
      'wallet_google_accounts',
      [...tenant, col.str('issuerId', 32), col.str('clientEmail', 254), col.text('keySealed', false)],
      [{ name: 'ux_wallet_google_business', columnNames: ['businessId'], isUnique: true }],
    );
    await createTable(
      qr,
      'wallet_passes',
      [
        ...tenant,
        col.ref('cardId'),
        col.ref('programId'),
        col.str('platform', 8),
        col.str('serial', 128),
        col.str('typeId', 128),
        col.time('touchedAt', false),
        col.time('lastModified', false),
        col.json('notifyLog', true),
      ],
      [
        { name: 'ux_wallet_passes_card', columnNames: ['businessId', 'cardId', 'platform'], isUnique: true },
        { name: 'ux_wallet_passes_serial', columnNames: ['platform', 'serial'], isUnique: true },
        { name: 'ix_wallet_passes_program', columnNames: ['businessId', 'programId', 'platform'] },
      ],
    );
    await createTable(
      qr,
      'wallet_registrations',
      [...tenant, col.ref('cardId'), col.str('deviceLibraryId', 128), col.str('passTypeId', 128), col.str('serial', 128), col.str('pushToken', 200)],
      [
        { name: 'ux_wallet_registrations', columnNames: ['deviceLibraryId', 'passTypeId', 'serial'], isUnique: true },
        { name: 'ix_wallet_registrations_serial', columnNames: ['passTypeId', 'serial'] },
        { name: 'ix_wallet_registrations_card', columnNames: ['businessId', 'cardId'] },
      ],
    );
    await createTable(
      qr,
      'wallet_inbox',
      [col.id(), col.str('consumer', 64), col.str('messageId', 64)],
      [{ name: 'ux_wallet_inbox', columnNames: ['consumer', 'messageId'], isUnique: true }],
    );

    await createTable(
      qr,
      'engagement_forms',
      [
        ...tenant,
        col.ref('programId'),
        col.str('slug', 64),
        col.str('title', 200),
        col.text('description', true),
        col.json('fields'),
        col.json('variables'),
        col.text('consentText', false),
        col.text('marketingConsentText', true),
        col.bool('smsVerification', true),
        col.bool('active', true),
      ],
      [
        { name: 'ux_engagement_forms_slug', columnNames: ['slug'], isUnique: true },
        { name: 'ix_engagement_forms_business', columnNames: ['businessId'] },
      ],
    );
    await createTable(
      qr,
      'engagement_sms_codes',
      [
        ...tenant,
        col.ref('formId'),
        col.str('phone', 20),
        col.str('codeHash', 64),
        int('attempts'),
        col.time('expiresAt', false),
        col.time('verifiedAt'),
        col.time('usedAt'),
        col.str('ip', 64, true),
      ],
      [{ name: 'ix_engagement_sms_phone', columnNames: ['businessId', 'phone', 'createdAt'] }],
    );
    await createTable(
      qr,
      'engagement_registrations',
      [
        ...tenant,
        col.ref('formId'),
        col.ref('guestId'),
        col.ref('cardId', true),
        col.bool('existingGuest'),
        col.json('utm', true),
        col.str('referralCode', 16, true),
        col.time('consentAt', false),
        col.str('ip', 64, true),
        col.str('userAgent', 300, true),
      ],
      [{ name: 'ix_engagement_registrations_form', columnNames: ['businessId', 'formId', 'createdAt'] }],
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of [
      'engagement_registrations',
      'engagement_sms_codes',
      'engagement_forms',
      'wallet_inbox',
      'wallet_registrations',
      'wallet_passes',
      'wallet_google_accounts',
      'wallet_apple_accounts',
      'wallet_images',
      'wallet_designs',
    ])
      await qr.dropTable(t, true);
  }
}
