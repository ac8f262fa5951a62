import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from '../schema';

/** Indexes the guest segment filter searches with (issue 13): name, table, columns. */
const INDEXES: [string, string, string[]][] = [
  ['ix_guests_business_created', 'guests', ['businessId', 'createdAt']],
  ['ix_guests_business_birthday', 'guests', ['businessId', 'birthday']],
  ['ix_guests_business_birthday_md', 'guests', ['businessId', 'birthdayMd']],
  ['ix_guests_business_source', 'guests', ['businessId', 'source']],
  ['ix_guests_business_utm_source', 'guests', ['businessId', 'utmSource']],
  ['ix_guests_business_utm_campaign', 'guests', ['businessId', 'utmCampaign']],
  ['ix_cards_level', 'cards', ['businessId', 'levelCode', 'guestId']],
];

/**
 * Guest segments: the UTM source and campaign leave the JSON text of `guests.utm` for their own
 * columns (lower-cased, so `VK` and `vk` match alike on SQLite and MariaDB), and the birthday's `MM-DD` gets one, so segment filters compare indexed columns (no JSON
 * functions, no per-row date arithmetic). Existing rows are filled in here. Plain columns, not
 * generated ones: TypeORM rebuilds SQLite tables on some later ALTERs and would lose a generated
 * column's expression.
 */
export class GuestSegments1764057600007 implements MigrationInterface {
  name = 'GuestSegments1764057600007';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = isMysql(qr);
    const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
    if (mysql) {
      // One ALTER: MariaDB rebuilds the table once for all three columns.
      await qr.query(
        `ALTER TABLE guests ADD COLUMN utmSource varchar(100) NULL, ADD COLUMN utmCampaign varchar(100) NULL, ADD COLUMN birthdayMd varchar(5) NULL`,
      );
      await qr.query(
        `UPDATE guests SET
           utmSource = NULLIF(LOWER(TRIM(SUBSTRING(JSON_UNQUOTE(JSON_EXTRACT(utm, '$.source')), 1, 100))), ''),
           utmCampaign = NULLIF(LOWER(TRIM(SUBSTRING(JSON_UNQUOTE(JSON_EXTRACT(utm, '$.campaign')), 1, 100))), '')
         WHERE utm IS NOT NULL AND JSON_VALID(utm)`,
      );
    } else {
      // ALTER TABLE … ADD COLUMN, not qr.addColumn (which copies the whole table on SQLite).
      for (const [c, len] of [
        ['utmSource', 100],
        ['utmCampaign', 100],
        ['birthdayMd', 5],
      ] as const)
        await qr.query(`ALTER TABLE guests ADD COLUMN ${q(c)} varchar(${len}) NULL`);
      await qr.query(
        `UPDATE guests SET
           utmSource = NULLIF(LOWER(TRIM(SUBSTR(json_extract(utm, '$.source'), 1, 100))), ''),
           utmCampaign = NULLIF(LOWER(TRIM(SUBSTR(json_extract(utm, '$.campaign'), 1, 100))), '')
         WHERE utm IS NOT NULL AND json_valid(utm)`,
      );
    }
    await qr.query(`UPDATE guests SET birthdayMd = SUBSTR(birthday, 6, 5) WHERE birthday IS NOT NULL AND birthday LIKE '____-__-__'`);
    for (const [name, table, cols] of INDEXES) await qr.query(`CREATE INDEX ${q(name)} ON ${q(table)} (${cols.map(q).join(', ')})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = isMysql(qr);
    const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
    for (const [name, table] of [...INDEXES].reverse()) await qr.query(mysql ? `DROP INDEX ${q(name)} ON ${q(table)}` : `DROP INDEX ${q(name)}`);
    for (const c of ['birthdayMd', 'utmCampaign', 'utmSource']) await qr.query(`ALTER TABLE guests DROP COLUMN ${q(c)}`);
  }
}
