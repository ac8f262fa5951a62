import { Column, Entity, Index } from 'typeorm';
import { IntColumn, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

export type ProgramKind = 'discount' | 'bonus' | 'gift' | 'coupon' | 'stamp';

/** A card template: its kind, rules, levels and bonuses (validated by programs.schemas). */
@Entity('programs')
@Index('ix_programs_business', ['businessId'])
export class Program extends TenantEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  kind: ProgramKind;

  /** Kind-specific rules (discriminated by `kind`). */
  @JsonColumn()
  rules: any;

  @JsonColumn()
  levels: any[];

  @JsonColumn({ nullable: true })
  levelPolicy: any;

  @IntColumn()
  welcomeBonusPoints: number;

  @JsonColumn({ nullable: true })
  referral: any;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Leading digits of the card numbers this program issues. */
  @Column({ type: 'varchar', length: 8 })
  cardPrefix: string;
}

/** A coupon code of a coupon program. */
@Entity('coupons')
@Index('ux_coupons_code', ['businessId', 'code'], { unique: true })
@Index('ix_coupons_program', ['businessId', 'programId'])
export class Coupon extends TenantEntity {
  @RefColumn()
  programId: string;

  @Column({ type: 'varchar', length: 64 })
  code: string;

  /** active | disabled | used_up */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  /** Null: as many as the program allows. */
  @Column({ type: 'int', nullable: true })
  maxUses: number | null;

  @Column({ type: 'int', default: 0 })
  uses: number;

  /** A coupon issued to one guest (e.g. a stamp-card reward) can be used only by them. */
  @RefColumn({ nullable: true })
  guestId: string | null;

  @TimeColumn({ nullable: true })
  validFrom: Date | null;

  @TimeColumn({ nullable: true })
  validTo: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  note: string | null;
}
