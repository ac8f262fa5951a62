import { Column, ColumnOptions, CreateDateColumn, EntityMetadata, ObjectLiteral, PrimaryColumn, Repository, UpdateDateColumn, ValueTransformer } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { newId } from '../shared/ids';

/** BIGINT arrives from mysql2 as a string: money and points go through here, always as safe integers. */
export const intTransformer: ValueTransformer = {
  to: (v: unknown) => v,
  from: (v: unknown) => {
    if (v === null || v === undefined) return v;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`Integer column holds a non-integer value`);
    return n;
  },
};

/** An integer amount (money in minor units, points, counts) stored as BIGINT. */
export const IntColumn = (opts: ColumnOptions = {}) => Column({ type: 'bigint', transformer: intTransformer, default: opts.nullable ? undefined : 0, ...opts });

export const IdColumn = () => PrimaryColumn({ type: 'varchar', length: 36 });
export const RefColumn = (opts: ColumnOptions = {}) => Column({ type: 'varchar', length: 36, ...opts });
/** UTC `YYYY-MM-DD HH:MM:SS.mmm`: how datetimes are stored on both backends (raw queries bind this). */
export const sqlTime = (at: Date | number): string => new Date(at).toISOString().replace('T', ' ').slice(0, 23);
export const TimeColumn = (opts: ColumnOptions = {}) => Column({ type: 'datetime', precision: 3, ...opts });
export const JsonColumn = (opts: ColumnOptions = {}) => Column({ type: 'simple-json', ...opts });

/** Every entity has a time-ordered id and its creation/update times. */
export abstract class BaseEntity {
  @IdColumn()
  id: string = newId();

  @CreateDateColumn({ type: 'datetime', precision: 3 })
  createdAt: Date = new Date();

  @UpdateDateColumn({ type: 'datetime', precision: 3 })
  updatedAt: Date = new Date();
}

/** Tenant data: every row carries its business. */
export abstract class TenantEntity extends BaseEntity {
  @RefColumn()
  businessId: string;
}

/** Columns a plain INSERT writes (auto-increment keys are left to the database). */
const insertColumns = new WeakMap<EntityMetadata, ColumnMetadata[]>();

function columnDefault(c: ColumnMetadata): unknown {
  const d = c.default;
  return typeof d === 'number' || typeof d === 'string' || typeof d === 'boolean' ? d : null;
}

/**
 * A plain multi-row INSERT built from the entity's metadata. `repo.insert()` runs TypeORM's query
 * builder and, on MySQL, follows every insert with a SELECT reloading the columns that have
 * defaults; on the checkout hot path neither is needed: ids and timestamps are set in code.
 */
export async function insertRows<E extends ObjectLiteral>(repo: Repository<E>, rows: E | E[]): Promise<void> {
  const list = Array.isArray(rows) ? rows : [rows];
  if (!list.length) return;
  const meta = repo.metadata;
  const driver = repo.manager.connection.driver;
  let cols = insertColumns.get(meta);
  if (!cols) {
    cols = meta.columns.filter((c) => !(c.isGenerated && c.generationStrategy === 'increment'));
    insertColumns.set(meta, cols);
  }
  const one = `(${cols.map(() => '?').join(', ')})`;
  const sql = `INSERT INTO ${driver.escape(meta.tableName)} (${cols.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES ${list.map(() => one).join(', ')}`;
  const params: unknown[] = [];
  for (const row of list) {
    for (const c of cols) {
      // preparePersistentValue applies the column's transformer itself.
      let v = c.getEntityValue(row);
      if (v === undefined) v = c.isCreateDate || c.isUpdateDate ? new Date() : columnDefault(c);
      params.push(driver.preparePersistentValue(v, c));
    }
  }
  await repo.manager.query(sql, params);
}

/**
 * A plain SELECT of whole rows, hydrated through the entity's column metadata (types and
 * transformers) without the query builder — for the few reads on the checkout hot path.
 * `where` uses the table's column names with `?` placeholders.
 */
export async function selectRows<E extends ObjectLiteral>(repo: Repository<E>, where: string, params: unknown[], opts: { forUpdate?: boolean; limit?: number } = {}): Promise<E[]> {
  const meta = repo.metadata;
  const driver = repo.manager.connection.driver;
  const mysql = driver.options.type === 'mysql' || driver.options.type === 'mariadb';
  const sql = `SELECT * FROM ${driver.escape(meta.tableName)} WHERE ${where}${opts.limit ? ` LIMIT ${Math.trunc(opts.limit)}` : ''}${opts.forUpdate && mysql ? ' FOR UPDATE' : ''}`;
  const raw = (await repo.manager.query(sql, params)) as Record<string, unknown>[];
  return raw.map((r) => {
    const e = repo.create();
    for (const c of meta.columns) c.setEntityValue(e, driver.prepareHydratedValue(r[c.databaseName], c));
    return e;
  });
}

/**
 * `UPDATE … SET col = ? … WHERE id = ? [AND businessId = ?]` with bound parameters, so the
 * statement text is the same every time (SQLite's statement cache hits; no query builder).
 */
export async function updateById<E extends ObjectLiteral>(repo: Repository<E>, id: string, values: Partial<E>, businessId?: string): Promise<void> {
  const meta = repo.metadata;
  const driver = repo.manager.connection.driver;
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const c = meta.findColumnWithPropertyName(key);
    if (!c) throw new Error(`No column ${meta.tableName}.${key}`);
    sets.push(`${driver.escape(c.databaseName)} = ?`);
    params.push(driver.preparePersistentValue(value, c));
  }
  const updated = meta.updateDateColumn;
  if (updated && !(updated.propertyName in values)) {
    sets.push(`${driver.escape(updated.databaseName)} = ?`);
    params.push(driver.preparePersistentValue(new Date(), updated));
  }
  if (!sets.length) return;
  params.push(id);
  if (businessId) params.push(businessId);
  await repo.manager.query(`UPDATE ${driver.escape(meta.tableName)} SET ${sets.join(', ')} WHERE id = ?${businessId ? ' AND businessId = ?' : ''}`, params);
}
