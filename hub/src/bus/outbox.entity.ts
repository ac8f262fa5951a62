import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JsonColumn, RefColumn, TimeColumn } from '../db/columns';

/** Events written in the same transaction as the change they describe; the relay publishes them. */
@Entity('outbox')
@Index('ix_outbox_unsent', ['sentAt', 'seq'])
@Index('ux_outbox_event', ['eventId'], { unique: true })
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq: string;

  @Column({ type: 'varchar', length: 36 })
  eventId: string;

  @RefColumn()
  businessId: string;

  @Column({ type: 'varchar', length: 80 })
  type: string;

  @JsonColumn()
  data: any;

  @Column({ type: 'varchar', length: 128, nullable: true })
  correlationId: string | null;

  @TimeColumn()
  occurredAt: Date;

  @TimeColumn({ nullable: true })
  sentAt: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}
