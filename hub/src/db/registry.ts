import { OutboxMessage } from '../bus/outbox.entity';
import { JobLease } from '../jobs/lease.entity';
import { AuditEntry } from '../modules/audit/audit.entity';
import { Business, Location, StaffSession, StaffUser, Terminal } from '../modules/tenants/tenants.entity';
import { Foundation1764057600001 } from './migrations/0001-foundation';

/** Every entity of every module; a module adds its own here. */
export const allEntities = [Business, Location, Terminal, StaffUser, StaffSession, AuditEntry, OutboxMessage, JobLease];

/** Migrations in order; never edit one that has shipped, add the next. */
export const allMigrations = [Foundation1764057600001];
