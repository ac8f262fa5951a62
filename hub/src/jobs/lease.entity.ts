import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimeColumn } from '../db/columns';

/** One row per periodic job: whoever holds an unexpired lease runs it, so it runs once across instances. */
@Entity('job_leases')
export class JobLease {
  @PrimaryColumn({ type: 'varchar', length: 80 })
  name: string;

  @Column({ type: 'varchar', length: 80 })
  holder: string;

  @TimeColumn()
  expiresAt: Date;
}
