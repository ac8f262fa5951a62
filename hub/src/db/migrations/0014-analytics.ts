import { MigrationInterface, QueryRunner } from 'typeorm';
import { col, createTable } from '../schema';

const n = (name: string) => col.int(name);

/**
 * Analytics (issue 09): daily rollups per location and program, the consumer's inbox, first
 * purchases, per-business RFM settings and snapshot; UTM tags; reviews and their settings.
 */
export class Analytics1764057600014 implements MigrationInterface {
  name = 'Analytics1764057600014';

  async up(qr: QueryRunner): Promise<void> {
    await createTable(
      qr,
      'analytics_daily',
      [
        col.id(),
        col.ref('businessId'),
        col.str('day', 10),
        col.str('locationId', 36, false, ''),
        col.str('programId', 36, false, ''),
        ...['sales', 'cardSales', 'grossMinor', 'discountMinor', 'revenueMinor', 'cardRevenueMinor', 'refunds', 'refundedMinor'].map(n),
        ...[
          'pointsAccrued',
          'pointsRedeemed',
          'pointsReversed',
          'pointsReturned',
          'pointsExpired',
          'pointsNet',
          'newGuests',
          'cardsIssued',
          'firstPurchases',
        ].map(n),
      ],
      [{ name: 'ux_analytics_daily', columnNames: ['businessId', 'day', 'locationId', 'programId'], isUnique: true }],
    );
    await createTable(
      qr,
      'analytics_inbox',
      [col.id(), col.str('consumer', 64), col.str('messageId', 64)],
      [
        { name: 'ux_analytics_inbox', columnNames: ['consumer', 'messageId'], isUnique: true },
        { name: 'ix_analytics_inbox_created', columnNames: ['createdAt'] },
      ],
    );
    await createTable(
      qr,
      'analytics_buyers',
      [col.id(), col.ref('businessId'), col.ref('guestId'), col.time('firstAt', false)],
      [{ name: 'ux_analytics_buyers', columnNames: ['businessId', 'guestId'], isUnique: true }],
    );
    await createTable(
      qr,
      'analytics_state',
      [col.id(), col.ref('businessId'), col.time('rebuiltBefore'), col.json('rfmSettings', true), col.json('rfmSnapshot', true)],
      [{ name: 'ux_analytics_state', columnNames: ['businessId'], isUnique: true }],
    );
    await createTable(
      qr,
      'utm_tags',
      [
        col.id(),
        col.ref('businessId'),
        col.str('name', 100),
        col.str('source', 100),
        col.str('campaign', 100, false, ''),
        col.str('medium', 100, true),
        col.str('formSlug', 64),
      ],
      [{ name: 'ux_utm_tags', columnNames: ['businessId', 'source', 'campaign'], isUnique: true }],
    );
    await createTable(
      qr,
      'reviews',
      [
        col.id(),
        col.ref('businessId'),
        col.ref('guestId', true),
        col.ref('cardId', true),
        { name: 'rating', type: 'int' },
        col.text('text'),
        col.str('channel', 16),
        col.str('offeredMap', 16, true),
        col.time('redirectedAt'),
      ],
      [{ name: 'ix_reviews_business_time', columnNames: ['businessId', 'createdAt'] }],
    );
    await createTable(
      qr,
      'review_settings',
      [
        col.id(),
        col.ref('businessId'),
        col.str('yandexUrl', 500, true),
        col.str('twogisUrl', 500, true),
        col.str('googleUrl', 500, true),
        col.bool('onlyHighRatings'),
        col.time('gatingAcknowledgedAt'),
      ],
      [{ name: 'ux_review_settings', columnNames: ['businessId'], isUnique: true }],
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['review_settings', 'reviews', 'utm_tags', 'analytics_state', 'analytics_buyers', 'analytics_inbox', 'analytics_daily'])
      await qr.dropTable(t, true);
  }
}
