import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { col } from '../schema';

/**
 * Refund voids (issue 13, r_keeper chmode 4 "return rollback"): a refund records when it was voided
 * and under which Idempotency-Key (unique per business, so a retried void has one effect), and the
 * stamps its plan could not take back (so a void restores the purchase's sums exactly).
 */
export class RefundVoids1764057600010 implements MigrationInterface {
  name = 'RefundVoids1764057600010';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumns('checkout_refunds', [new TableColumn(col.int('stampsShortfall')), new TableColumn(col.time('voidedAt')), new TableColumn(col.str('voidIdempotencyKey', 128, true))]);
    await qr.createIndex('checkout_refunds', new TableIndex({ name: 'ux_refunds_void_idem', columnNames: ['businessId', 'voidIdempotencyKey'], isUnique: true }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('checkout_refunds', 'ux_refunds_void_idem');
    for (const c of ['voidIdempotencyKey', 'voidedAt', 'stampsShortfall']) await qr.dropColumn('checkout_refunds', c);
  }
}
