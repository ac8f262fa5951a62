import { Column, ColumnOptions, CreateDateColumn, ObjectLiteral, PrimaryColumn, Repository, UpdateDateColumn, ValueTransformer } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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

/**
 * INSERT without TypeORM's reload: on MySQL `repo.insert()` follows every insert with a SELECT of
 * the columns that have defaults. Ids and timestamps are set in code, so there is nothing to reload.
 */
export async function insertRows<E extends ObjectLiteral>(repo: Repository<E>, rows: E | E[]): Promise<void> {
  if (Array.isArray(rows) && rows.length === 0) return;
  await repo.manager
    .createQueryBuilder()
    .insert()
    .into(repo.target)
    .values(rows as QueryDeepPartialEntity<E> | QueryDeepPartialEntity<E>[])
    .updateEntity(false)
    .execute();
}
