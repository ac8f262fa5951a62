import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from '../schema';

/** Indexes the console's guest list sorts and searches with (issue 18): name, table, columns. */
const INDEXES: [string, string, string[]][] = [
  ['ix_guests_phone_last4', 'guests', ['businessId', 'phoneLast4']],
  ['ix_guests_business_spend', 'guests', ['businessId', 'spendMinor']],
  ['ix_guests_business_visits', 'guests', ['businessId', 'visits']],
  ['ix_cards_number_last4', 'cards', ['businessId', 'numberLast4']],
  ['ix_cards_business_points', 'cards', ['businessId', 'pointsBalance']],
];

/** Generated columns: table, column, the column it is the last four characters of. */
const GENERATED: [string, string, string][] = [
  ['guests', 'phoneLast4', 'phone'],
  ['cards', 'numberLast4', 'number'],
];

/**
 * The guest list (issue 18): a search by the last four digits of a phone or a card number, and
 * sorts by total spend, visits and card balance, each answered from an index.
 *
 * `guests.phoneLast4` and `cards.numberLast4` are VIRTUAL generated columns (the database computes
 * them from `phone` / `number`, so no code path that writes a guest or a card has to keep them in
 * step, bulk inserts included); they are not mapped by the entities and only read by the list's
 * search. Added with a plain `ALTER TABLE … ADD COLUMN` on both databases (SQLite allows VIRTUAL
 * generated columns there). Their expressions are recorded in TypeORM's `typeorm_metadata`, so a
 * later migration that loads or copies these tables through TypeORM keeps them.
 */
export class GuestList1764057600018 implements MigrationInterface {
  name = 'GuestList1764057600018';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = isMysql(qr);
    const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
    const last4 = (c: string) => (mysql ? `RIGHT(${q(c)}, 4)` : `substr(${q(c)}, -4)`);
    // TypeORM reads a generated column's expression from its `typeorm_metadata` table when it loads a
    // table's schema (and fails without that table), so the expressions are recorded there as it would.
    const v = (len: number) => `varchar(${len})`;
    await qr.query(
      `CREATE TABLE IF NOT EXISTS ${q('typeorm_metadata')} (${q('type')} ${v(255)} NOT NULL, ${q('database')} ${v(255)} NULL, ${q('schema')} ${v(255)} NULL, ${q('table')} ${v(255)} NULL, ${q('name')} ${v(255)} NULL, ${q('value')} text NULL)`,
    );
    for (const [table, column, source] of GENERATED) {
      await qr.query(`ALTER TABLE ${q(table)} ADD COLUMN ${q(column)} varchar(4) GENERATED ALWAYS AS (${last4(source)}) VIRTUAL`);
      await qr.query(
        `INSERT INTO ${q('typeorm_metadata')} (${q('type')}, ${q('schema')}, ${q('table')}, ${q('name')}, ${q('value')}) VALUES ('GENERATED_COLUMN', ${mysql ? 'DATABASE()' : 'NULL'}, ?, ?, ?)`,
        [table, column, last4(source)],
      );
    }
    for (const [name, table, cols] of INDEXES) await qr.query(`CREATE INDEX ${q(name)} ON ${q(table)} (${cols.map(q).join(', ')})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = isMysql(qr);
    const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
    for (const [name, table] of [...INDEXES].reverse()) await qr.query(mysql ? `DROP INDEX ${q(name)} ON ${q(table)}` : `DROP INDEX ${q(name)}`);
    for (const [table, column] of [...GENERATED].reverse()) {
      await qr.query(`ALTER TABLE ${q(table)} DROP COLUMN ${q(column)}`);
      await qr.query(`DELETE FROM ${q('typeorm_metadata')} WHERE ${q('type')} = 'GENERATED_COLUMN' AND ${q('table')} = ? AND ${q('name')} = ?`, [table, column]);
    }
  }
}
