import { Column, Entity, Index } from 'typeorm';
import { IntColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

/** `void`: undoes a refund's entry (a voided refund, r_keeper's "return rollback"), linked to it. */
export type EntryKind = 'accrue' | 'redeem' | 'expire' | 'adjust' | 'refund' | 'reward' | 'release' | 'issue' | 'spend' | 'stamp' | 'void';
export type EntryUnit = 'points' | 'minor' | 'stamps';

/** Immutable ledger entry: a signed change of one balance of one card. */
@Entity('ledger_entries')
@Index('ix_ledger_card', ['businessId', 'cardId', 'id'])
@Index('ix_ledger_checkout', ['businessId', 'checkoutId'])
@Index('ix_ledger_actor_kind', ['businessId', 'actorId', 'kind', 'createdAt'])
export class LedgerEntry extends TenantEntity {
  @RefColumn()
  cardId: string;

  @Column({ type: 'varchar', length: 16 })
  kind: EntryKind;

  @Column({ type: 'varchar', length: 8 })
  unit: EntryUnit;

  /** Signed amount: + credits, − debits. */
  @IntColumn()
  amount: number;

  @IntColumn()
  balanceAfter: number;

  @RefColumn({ nullable: true })
  checkoutId: string | null;

  @RefColumn({ nullable: true })
  refundId: string | null;

  /** For reversals: the entry this one reverses. */
  @RefColumn({ nullable: true })
  linkedEntryId: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 16 })
  actorType: string;

  @Column({ type: 'varchar', length: 64 })
  actorId: string;
}

/** Points credited together, usable from availableAt, expiring at expiresAt; consumed FIFO by expiry. */
@Entity('point_lots')
@Index('ix_lots_card', ['businessId', 'cardId', 'expiresAt'])
@Index('ix_lots_expiry', ['expiresAt', 'remaining'])
export class PointLot extends TenantEntity {
  @RefColumn()
  cardId: string;

  @RefColumn()
  entryId: string;

  @IntColumn()
  points: number;

  @IntColumn()
  remaining: number;

  @TimeColumn()
  availableAt: Date;

  @TimeColumn({ nullable: true })
  expiresAt: Date | null;
}

/** Which lots a debit took its points from (so a refund can put them back). */
@Entity('lot_consumptions')
@Index('ix_consumption_entry', ['businessId', 'entryId'])
export class LotConsumption extends TenantEntity {
  @RefColumn()
  entryId: string;

  @RefColumn()
  lotId: string;

  @IntColumn()
  points: number;
}
