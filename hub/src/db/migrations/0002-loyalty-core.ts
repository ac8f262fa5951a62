import { MigrationInterface, QueryRunner } from 'typeorm';
import { col, createTable } from '../schema';

/** Programs, coupons, guests, blacklist, cards, ledger (entries, lots, consumptions), checkouts and refunds. */
export class LoyaltyCore1764057600002 implements MigrationInterface {
  name = 'LoyaltyCore1764057600002';

  async up(qr: QueryRunner): Promise<void> {
    const tenant = [col.id(), col.ref('businessId')];
    await createTable(
      qr,
      'programs',
      [...tenant, col.str('name', 200), col.str('kind', 16), col.json('rules'), col.json('levels'), col.json('levelPolicy', true), col.int('welcomeBonusPoints'), col.json('referral', true), col.bool('active', true), col.str('cardPrefix', 8)],
      [{ name: 'ix_programs_business', columnNames: ['businessId'] }],
    );
    await createTable(
      qr,
      'coupons',
      [
        ...tenant,
        col.ref('programId'),
        col.str('code', 64),
        col.str('status', 16),
        { name: 'maxUses', type: 'int', isNullable: true },
        { name: 'uses', type: 'int', default: '0' },
        col.ref('guestId', true),
        col.time('validFrom'),
        col.time('validTo'),
        col.str('note', 200, true),
      ],
      [
        { name: 'ux_coupons_code', columnNames: ['businessId', 'code'], isUnique: true },
        { name: 'ix_coupons_program', columnNames: ['businessId', 'programId'] },
      ],
    );
    await createTable(
      qr,
      'guests',
      [
        ...tenant,
        col.str('phone', 20, true),
        col.str('name', 200, true),
        col.str('birthday', 10, true),
        col.str('email', 254, true),
        col.str('gender', 8, true),
        col.bool('marketingConsent'),
        col.time('consentAt'),
        col.str('source', 40, true),
        col.json('utm', true),
        col.json('attributes', true),
        col.str('referralCode', 16),
        col.ref('referrerGuestId', true),
        col.bool('referralRewarded'),
        col.str('status', 16, false, 'active'),
        col.time('erasedAt'),
        { name: 'visits', type: 'int', default: '0' },
        col.int('spendMinor'),
        col.time('firstPurchaseAt'),
        col.time('lastPurchaseAt'),
      ],
      [
        { name: 'ux_guests_phone', columnNames: ['businessId', 'phone'], isUnique: true },
        { name: 'ux_guests_referral', columnNames: ['businessId', 'referralCode'], isUnique: true },
        { name: 'ix_guests_business_last', columnNames: ['businessId', 'lastPurchaseAt'] },
      ],
    );
    await createTable(qr, 'blacklist', [...tenant, col.str('phone', 20), col.str('reason', 500, true)], [{ name: 'ux_blacklist_phone', columnNames: ['businessId', 'phone'], isUnique: true }]);
    await createTable(
      qr,
      'cards',
      [
        ...tenant,
        col.ref('programId'),
        col.ref('guestId', true),
        col.str('number', 20),
        col.str('status', 16),
        col.str('levelCode', 32, true),
        col.int('pointsBalance'),
        col.int('pointsHeld'),
        col.int('giftBalanceMinor'),
        col.time('giftExpiresAt'),
        { name: 'stamps', type: 'int', default: '0' },
        col.int('spendMinor'),
        { name: 'visits', type: 'int', default: '0' },
        col.time('lastOperationAt'),
        col.time('deletedAt'),
      ],
      [
        { name: 'ux_cards_number', columnNames: ['businessId', 'number'], isUnique: true },
        { name: 'ix_cards_guest', columnNames: ['businessId', 'guestId'] },
        { name: 'ix_cards_program', columnNames: ['businessId', 'programId'] },
      ],
    );
    await createTable(
      qr,
      'ledger_entries',
      [
        ...tenant,
        col.ref('cardId'),
        col.str('kind', 16),
        col.str('unit', 8),
        col.int('amount'),
        col.int('balanceAfter'),
        col.ref('checkoutId', true),
        col.ref('refundId', true),
        col.ref('linkedEntryId', true),
        col.str('reason', 500, true),
        col.str('actorType', 16),
        col.str('actorId', 64),
      ],
      [
        { name: 'ix_ledger_card', columnNames: ['businessId', 'cardId', 'id'] },
        { name: 'ix_ledger_checkout', columnNames: ['businessId', 'checkoutId'] },
        { name: 'ix_ledger_actor_kind', columnNames: ['businessId', 'actorId', 'kind', 'createdAt'] },
      ],
    );
    await createTable(
      qr,
      'point_lots',
      [...tenant, col.ref('cardId'), col.ref('entryId'), col.int('points'), col.int('remaining'), col.time('availableAt', false), col.time('expiresAt')],
      [
        { name: 'ix_lots_card', columnNames: ['businessId', 'cardId', 'expiresAt'] },
        { name: 'ix_lots_expiry', columnNames: ['expiresAt', 'remaining'] },
      ],
    );
    await createTable(qr, 'lot_consumptions', [...tenant, col.ref('entryId'), col.ref('lotId'), col.int('points')], [{ name: 'ix_consumption_entry', columnNames: ['businessId', 'entryId'] }]);
    await createTable(
      qr,
      'checkouts',
      [
        ...tenant,
        col.str('idempotencyKey', 128),
        col.str('requestHash', 64),
        col.str('receiptFingerprint', 64, true),
        col.str('status', 16),
        col.ref('cardId', true),
        col.ref('guestId', true),
        col.ref('programId', true),
        col.ref('locationId', true),
        col.ref('terminalId', true),
        col.str('actorType', 16),
        col.str('actorId', 64),
        col.int('totalMinor'),
        col.int('discountMinor'),
        col.int('pointsRedeemed'),
        col.int('pointsAccrued'),
        col.int('giftSpentMinor'),
        { name: 'stampsAdded', type: 'int', default: '0' },
        col.ref('couponId', true),
        col.str('couponCode', 64, true),
        col.json('receipt', true),
        col.json('basket'),
        col.json('decision'),
        col.time('holdExpiresAt'),
        col.time('capturedAt'),
        col.time('canceledAt'),
        col.int('refundedMinor'),
        col.int('refundedPayableMinor'),
        col.int('refundedPointsReturned'),
        col.int('refundedPointsReversed'),
        col.int('refundedGiftMinor'),
        { name: 'refundedStamps', type: 'int', default: '0' },
      ],
      [
        { name: 'ux_checkouts_idem', columnNames: ['businessId', 'idempotencyKey'], isUnique: true },
        { name: 'ux_checkouts_receipt', columnNames: ['businessId', 'receiptFingerprint'], isUnique: true },
        { name: 'ix_checkouts_card_time', columnNames: ['businessId', 'cardId', 'createdAt'] },
        { name: 'ix_checkouts_business_time', columnNames: ['businessId', 'createdAt'] },
        { name: 'ix_checkouts_hold', columnNames: ['status', 'holdExpiresAt'] },
      ],
    );
    await createTable(
      qr,
      'checkout_refunds',
      [
        ...tenant,
        col.ref('checkoutId'),
        col.str('idempotencyKey', 128),
        col.str('requestHash', 64),
        col.int('amountMinor'),
        col.int('payableReturnedMinor'),
        col.int('pointsReturned'),
        col.int('pointsReversed'),
        col.int('pointsShortfall'),
        col.int('giftReturnedMinor'),
        { name: 'stampsReversed', type: 'int', default: '0' },
        col.bool('full'),
        col.str('actorType', 16),
        col.str('actorId', 64),
      ],
      [
        { name: 'ux_refunds_idem', columnNames: ['businessId', 'idempotencyKey'], isUnique: true },
        { name: 'ix_refunds_checkout', columnNames: ['businessId', 'checkoutId'] },
      ],
    );
    await createTable(qr, 'coupon_redemptions', [...tenant, col.ref('couponId'), col.ref('guestId', true), col.ref('checkoutId')], [{ name: 'ix_coupon_red_guest', columnNames: ['businessId', 'couponId', 'guestId'] }]);
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['coupon_redemptions', 'checkout_refunds', 'checkouts', 'lot_consumptions', 'point_lots', 'ledger_entries', 'cards', 'blacklist', 'guests', 'coupons', 'programs']) await qr.dropTable(t, true);
  }
}
