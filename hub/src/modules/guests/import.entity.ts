import { Column, Entity, Index } from 'typeorm';
import { JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

export type ImportState = 'queued' | 'running' | 'done' | 'failed' | 'canceled';

/**
 * A CSV import of an existing guest base (guests, balances, levels). Its rows are kept in chunks in
 * the database, so any hub instance can resume it from `processedRows` after an interruption.
 */
@Entity('guest_imports')
@Index('ix_imports_business', ['businessId', 'id'])
@Index('ix_imports_state', ['state'])
export class GuestImport extends TenantEntity {
  @RefColumn({ nullable: true })
  programId: string | null;

  @Column({ type: 'boolean', default: false })
  dryRun: boolean;

  @Column({ type: 'varchar', length: 16 })
  state: ImportState;

  @Column({ type: 'varchar', length: 200, nullable: true })
  fileName: string | null;

  @JsonColumn()
  columns: string[];

  @Column({ type: 'int', default: 0 })
  totalRows: number;

  @Column({ type: 'int', default: 0 })
  processedRows: number;

  @Column({ type: 'int', default: 0 })
  created: number;

  @Column({ type: 'int', default: 0 })
  updated: number;

  @Column({ type: 'int', default: 0 })
  skipped: number;

  @Column({ type: 'int', default: 0 })
  failed: number;

  /** The first errors, `{row, field, message}` (row numbers count the header as row 1). */
  @JsonColumn()
  errors: { row: number; field: string; message: string }[];

  @Column({ type: 'varchar', length: 64 })
  createdBy: string;

  @TimeColumn({ nullable: true })
  startedAt: Date | null;

  @TimeColumn({ nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}

/** Up to CHUNK_ROWS parsed rows of an import, as a JSON array of string arrays. */
@Entity('guest_import_chunks')
@Index('ux_import_chunk', ['importId', 'seq'], { unique: true })
export class GuestImportChunk extends TenantEntity {
  @RefColumn()
  importId: string;

  @Column({ type: 'int' })
  seq: number;

  /** Index (0-based, data rows) of the chunk's first row. */
  @Column({ type: 'int' })
  firstRow: number;

  @Column({ type: 'int' })
  rowCount: number;

  @Column({ type: 'text' })
  rows: string;
}
