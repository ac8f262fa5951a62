import { Column, Entity, Index } from 'typeorm';
import { IntColumn, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

export type CheckoutStatus = 'held' | 'committed' | 'canceled';

/** One sale at a till. Keyed by the caller's Idempotency-Key and by the receipt fingerprint. */
@Entity('checkouts')
@Index('ux_checkouts_idem', ['businessId', 'idempotencyKey'], { unique: true })
@Index('ux_checkouts_receipt', ['businessId', 'receiptFingerprint'], { unique: true })
@Index('ix_checkouts_card_time', ['businessId', 'cardId', 'createdAt'])
@Index('ix_checkouts_business_time', ['businessId', 'createdAt'])
@Index('ix_checkouts_hold', ['status', 'holdExpiresAt'])
export class Checkout extends TenantEntity {
  @Column({ type: 'varchar', length: 128 })
  idempotencyKey: string;

  @Column({ type: 'varchar', length: 64 })
  requestHash: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  receiptFingerprint: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: CheckoutStatus;

  @RefColumn({ nullable: true })
  cardId: string | null;

  @RefColumn({ nullable: true })
  guestId: string | null;

  @RefColumn({ nullable: true })
  programId: string | null;

  @RefColumn({ nullable: true })
  locationId: string | null;

  @RefColumn({ nullable: true })
  terminalId: string | null;

  @Column({ type: 'varchar', length: 16 })
  actorType: string;

  @Column({ type: 'varchar', length: 64 })
  actorId: string;

  @IntColumn()
  totalMinor: number;

  @IntColumn()
  discountMinor: number;

  @IntColumn()
  pointsRedeemed: number;

  @IntColumn()
  pointsAccrued: number;

  @IntColumn()
  giftSpentMinor: number;

  @Column({ type: 'int', default: 0 })
  stampsAdded: number;

  @RefColumn({ nullable: true })
  couponId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  couponCode: string | null;

  @JsonColumn({ nullable: true })
  receipt: any;

  @JsonColumn()
  basket: any;

  @JsonColumn()
  decision: any;

  @TimeColumn({ nullable: true })
  holdExpiresAt: Date | null;

  @TimeColumn({ nullable: true })
  capturedAt: Date | null;

  @TimeColumn({ nullable: true })
  canceledAt: Date | null;

  @IntColumn()
  refundedMinor: number;

  /** Money handed back to the guest so far (the part of refunds that was paid in money). */
  @IntColumn()
  refundedPayableMinor: number;

  @IntColumn()
  refundedPointsReturned: number;

  @IntColumn()
  refundedPointsReversed: number;

  @IntColumn()
  refundedGiftMinor: number;

  @Column({ type: 'int', default: 0 })
  refundedStamps: number;
}

/** A (partial) refund of a checkout; idempotent on its own key. */
@Entity('checkout_refunds')
@Index('ux_refunds_idem', ['businessId', 'idempotencyKey'], { unique: true })
@Index('ix_refunds_checkout', ['businessId', 'checkoutId'])
@Index('ux_refunds_void_idem', ['businessId', 'voidIdempotencyKey'], { unique: true })
export class CheckoutRefund extends TenantEntity {
  @RefColumn()
  checkoutId: string;

  @Column({ type: 'varchar', length: 128 })
  idempotencyKey: string;

  @Column({ type: 'varchar', length: 64 })
  requestHash: string;

  @IntColumn()
  amountMinor: number;

  /** Money to hand back to the guest (the part of this refund paid in money). */
  @IntColumn()
  payableReturnedMinor: number;

  @IntColumn()
  pointsReturned: number;

  @IntColumn()
  pointsReversed: number;

  /** Accrued points that could not be taken back because the guest had already spent them. */
  @IntColumn()
  pointsShortfall: number;

  @IntColumn()
  giftReturnedMinor: number;

  @Column({ type: 'int', default: 0 })
  stampsReversed: number;

  /** Stamps the plan asked to take back but the card no longer had. */
  @IntColumn()
  stampsShortfall: number;

  @Column({ type: 'boolean', default: false })
  full: boolean;

  /** When the refund was voided (r_keeper "return rollback"): all its effects reversed. */
  @TimeColumn({ nullable: true })
  voidedAt: Date | null;

  /** The Idempotency-Key of the void; a retried void with it is a replay. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  voidIdempotencyKey: string | null;

  @Column({ type: 'varchar', length: 16 })
  actorType: string;

  @Column({ type: 'varchar', length: 64 })
  actorId: string;
}

/** Uses of coupons by guests (per-guest limits). */
@Entity('coupon_redemptions')
@Index('ix_coupon_red_guest', ['businessId', 'couponId', 'guestId'])
export class CouponRedemption extends TenantEntity {
  @RefColumn()
  couponId: string;

  @RefColumn({ nullable: true })
  guestId: string | null;

  @RefColumn()
  checkoutId: string;
}
