import { QueryRunner, Table, TableColumnOptions, TableIndex, TableIndexOptions } from 'typeorm';

/**
 * Dialect-neutral table definitions for migrations. Migrations are written once with these helpers
 * and run the same on SQLite and MySQL/MariaDB.
 */
export function isMysql(qr: QueryRunner): boolean {
  return qr.connection.options.type === 'mysql' || qr.connection.options.type === 'mariadb';
}

const now = (qr: QueryRunner) => (isMysql(qr) ? 'CURRENT_TIMESTAMP(3)' : "(strftime('%Y-%m-%d %H:%M:%f','now'))");

export const col = {
  id: (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true }),
  ref: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable }),
  str: (name: string, length = 255, nullable = false, def?: string): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable: nullable,
    default: def === undefined ? undefined : `'${def}'`,
  }),
  text: (name: string, nullable = true): TableColumnOptions => ({ name, type: 'text', isNullable: nullable }),
  json: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable }),
  int: (name: string, def: number | null = 0): TableColumnOptions => ({
    name,
    type: 'bigint',
    isNullable: def === null,
    default: def === null ? undefined : String(def),
  }),
  bool: (name: string, def = false): TableColumnOptions => ({ name, type: 'boolean', default: def ? '1' : '0' }),
  time: (name: string, nullable = true): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
};

export function timestamps(qr: QueryRunner): TableColumnOptions[] {
  return [
    { name: 'createdAt', type: 'datetime', precision: 3, default: now(qr) },
    { name: 'updatedAt', type: 'datetime', precision: 3, default: now(qr), onUpdate: isMysql(qr) ? 'CURRENT_TIMESTAMP(3)' : undefined },
  ];
}

export async function createTable(qr: QueryRunner, name: string, columns: TableColumnOptions[], indices: TableIndexOptions[] = []): Promise<void> {
  await qr.createTable(new Table({ name, columns: [...columns, ...timestamps(qr)], indices: indices.map((i) => new TableIndex(i)) }), true);
}
