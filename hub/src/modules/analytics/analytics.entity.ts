import { Column, Entity, Index } from 'typeorm';
import { BaseEntity, IntColumn, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

/**
 * One day × location × program of a business's figures, in the business's time zone. Kept by the
 * analytics consumer from events and equal to what `rebuild` computes from the raw rows. `''`
 * stands for "no location" / "no program" (a unique key cannot hold NULLs on MySQL).
 */
@Entity('analytics_daily')
@Index('ux_analytics_daily', ['businessId', 'day', 'locationId', 'programId'], { unique: true })
export class AnalyticsDaily extends TenantEntity {
  /** `YYYY-MM-DD`, business-local. */
  @Column({ type: 'varchar', length: 10 })
  day: string;

  @Column({ type: 'varchar', length: 36, default: '' })
  locationId: string;

  @Column({ type: 'varchar', length: 36, default: '' })
  programId: string;

  @IntColumn() sales: number;
  /** Sales with a card (an identified guest). */
  @IntColumn() cardSales: number;
  @IntColumn() grossMinor: number;
  @IntColumn() discountMinor: number;
  /** Paid after discounts, minus refunds counted on the refund's day. */
  @IntColumn() revenueMinor: number;
  @IntColumn() cardRevenueMinor: number;
  @IntColumn() refunds: number;
  @IntColumn() refundedMinor: number;
  @IntColumn() pointsAccrued: number;
  @IntColumn() pointsRedeemed: number;
  /** Accrued points taken back by refunds. */
  @IntColumn() pointsReversed: number;
  /** Redeemed points given back by refunds. */
  @IntColumn() pointsReturned: number;
  @IntColumn() pointsExpired: number;
  /** Σ of every points movement (the liability's daily change). */
  @IntColumn() pointsNet: number;
  @IntColumn() newGuests: number;
  @IntColumn() cardsIssued: number;
  @IntColumn() firstPurchases: number;
}

/** Messages the analytics consumer has counted (at-least-once delivery, counted once). */
@Entity('analytics_inbox')
@Index('ux_analytics_inbox', ['consumer', 'messageId'], { unique: true })
@Index('ix_analytics_inbox_created', ['createdAt'])
export class AnalyticsInbox extends BaseEntity {
  @Column({ type: 'varchar', length: 64 })
  consumer: string;

  @Column({ type: 'varchar', length: 64 })
  messageId: string;
}

/** The first purchase of each guest who bought (funnel, LTV, "first purchases"). */
@Entity('analytics_buyers')
@Index('ux_analytics_buyers', ['businessId', 'guestId'], { unique: true })
export class AnalyticsBuyer extends TenantEntity {
  @RefColumn()
  guestId: string;

  @TimeColumn()
  firstAt: Date;
}

/** Per business: RFM settings and the last computed RFM snapshot, and the rebuild watermark. */
@Entity('analytics_state')
@Index('ux_analytics_state', ['businessId'], { unique: true })
export class AnalyticsState extends TenantEntity {
  /** Events that happened before this were counted by a rebuild from raw rows (and are skipped). */
  @TimeColumn({ nullable: true })
  rebuiltBefore: Date | null;

  @JsonColumn({ nullable: true })
  rfmSettings: Record<string, any> | null;

  @JsonColumn({ nullable: true })
  rfmSnapshot: Record<string, any> | null;
}
