import { Column, Entity, Index } from 'typeorm';
import { JsonColumn, TenantEntity } from '../../db/columns';

/**
 * Append-only administrator history: nothing deletes these rows; the only update is the redaction of
 * an erased guest's personal data (AuditService.redactGuest).
 */
@Entity('audit_log')
@Index('ix_audit_business_time', ['businessId', 'createdAt'])
@Index('ix_audit_target', ['businessId', 'targetType', 'targetId'])
export class AuditEntry extends TenantEntity {
  @Column({ type: 'varchar', length: 16 })
  actorType: string;

  @Column({ type: 'varchar', length: 64 })
  actorId: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  actorLabel: string | null;

  /** e.g. `staff.created`, `card.balance_adjusted`, `fraud.limit_exceeded`. */
  @Column({ type: 'varchar', length: 80 })
  action: string;

  @Column({ type: 'varchar', length: 40 })
  targetType: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  @JsonColumn({ nullable: true })
  before: any;

  @JsonColumn({ nullable: true })
  after: any;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}
