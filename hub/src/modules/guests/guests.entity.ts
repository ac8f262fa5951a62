import { Column, Entity, Index } from 'typeorm';
import { IntColumn, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

/**
 * A guest of a business. Phone (E.164) is unique per business; erasure anonymizes but keeps the ledger.
 * The table also has `phoneLast4`, a generated column the list's search reads (migration 0018).
 */
@Entity('guests')
@Index('ux_guests_phone', ['businessId', 'phone'], { unique: true })
@Index('ux_guests_referral', ['businessId', 'referralCode'], { unique: true })
@Index('ix_guests_business_last', ['businessId', 'lastPurchaseAt'])
@Index('ix_guests_business_created', ['businessId', 'createdAt'])
@Index('ix_guests_business_birthday', ['businessId', 'birthday'])
@Index('ix_guests_business_birthday_md', ['businessId', 'birthdayMd'])
@Index('ix_guests_business_source', ['businessId', 'source'])
@Index('ix_guests_business_utm_source', ['businessId', 'utmSource'])
@Index('ix_guests_business_utm_campaign', ['businessId', 'utmCampaign'])
@Index('ix_guests_business_spend', ['businessId', 'spendMinor'])
@Index('ix_guests_business_visits', ['businessId', 'visits'])
export class Guest extends TenantEntity {
  @Column({ type: 'varchar', length: 20, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name: string | null;

  /** YYYY-MM-DD */
  @Column({ type: 'varchar', length: 10, nullable: true })
  birthday: string | null;

  /** `MM-DD` of the birthday (kept in step with it): birthday windows search this index. */
  @Column({ type: 'varchar', length: 5, nullable: true })
  birthdayMd: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  gender: string | null;

  @Column({ type: 'boolean', default: false })
  marketingConsent: boolean;

  @TimeColumn({ nullable: true })
  consentAt: Date | null;

  /** Where the guest came from: pos, form, import, console, referral. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  source: string | null;

  @JsonColumn({ nullable: true })
  utm: Record<string, string> | null;

  /** `utm.source` and `utm.campaign` in columns of their own, for segment filters (kept in step with `utm`). */
  @Column({ type: 'varchar', length: 100, nullable: true })
  utmSource: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  utmCampaign: string | null;

  @JsonColumn({ nullable: true })
  attributes: Record<string, any> | null;

  @Column({ type: 'varchar', length: 16 })
  referralCode: string;

  @RefColumn({ nullable: true })
  referrerGuestId: string | null;

  @Column({ type: 'boolean', default: false })
  referralRewarded: boolean;

  /** active | erased */
  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: string;

  @TimeColumn({ nullable: true })
  erasedAt: Date | null;

  @Column({ type: 'int', default: 0 })
  visits: number;

  @IntColumn()
  spendMinor: number;

  @TimeColumn({ nullable: true })
  firstPurchaseAt: Date | null;

  @TimeColumn({ nullable: true })
  lastPurchaseAt: Date | null;
}

/** Phones that may not register or hold a card. */
@Entity('blacklist')
@Index('ux_blacklist_phone', ['businessId', 'phone'], { unique: true })
export class BlacklistEntry extends TenantEntity {
  @Column({ type: 'varchar', length: 20 })
  phone: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;
}
