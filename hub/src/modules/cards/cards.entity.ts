import { Column, Entity, Index } from 'typeorm';
import { IntColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

export type CardStatus = 'active' | 'blocked' | 'deleted';

/**
 * A guest's card in one program. Balances are caches of the ledger: pointsBalance = Σ point entries,
 * giftBalanceMinor = Σ money entries, stamps = Σ stamp entries (asserted in tests).
 */
@Entity('cards')
@Index('ux_cards_number', ['businessId', 'number'], { unique: true })
@Index('ix_cards_guest', ['businessId', 'guestId'])
@Index('ix_cards_program', ['businessId', 'programId'])
@Index('ix_cards_level', ['businessId', 'levelCode', 'guestId'])
@Index('ix_cards_business_points', ['businessId', 'pointsBalance'])
export class Card extends TenantEntity {
  @RefColumn()
  programId: string;

  @RefColumn({ nullable: true })
  guestId: string | null;

  @Column({ type: 'varchar', length: 20 })
  number: string;

  @Column({ type: 'varchar', length: 16 })
  status: CardStatus;

  @Column({ type: 'varchar', length: 32, nullable: true })
  levelCode: string | null;

  @IntColumn()
  pointsBalance: number;

  /** Points reserved by uncaptured holds (already deducted from pointsBalance). */
  @IntColumn()
  pointsHeld: number;

  @IntColumn()
  giftBalanceMinor: number;

  @TimeColumn({ nullable: true })
  giftExpiresAt: Date | null;

  @Column({ type: 'int', default: 0 })
  stamps: number;

  /** Cumulative figures for level thresholds. */
  @IntColumn()
  spendMinor: number;

  @Column({ type: 'int', default: 0 })
  visits: number;

  @TimeColumn({ nullable: true })
  lastOperationAt: Date | null;

  @TimeColumn({ nullable: true })
  deletedAt: Date | null;
}
