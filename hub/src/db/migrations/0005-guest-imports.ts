import { MigrationInterface, QueryRunner } from 'typeorm';
import { col, createTable, isMysql } from '../schema';

/** CSV imports of existing guest bases, stored in chunks so any instance can resume them. */
export class GuestImports1764057600005 implements MigrationInterface {
  name = 'GuestImports1764057600005';

  async up(qr: QueryRunner): Promise<void> {
    const tenant = [col.id(), col.ref('businessId')];
    const int = (name: string) => ({ name, type: 'int', default: '0' });
    await createTable(
      qr,
      'guest_imports',
      [
        ...tenant,
        col.ref('programId', true),
        col.bool('dryRun'),
        col.str('state', 16),
        col.str('fileName', 200, true),
        col.json('columns'),
        int('totalRows'),
        int('processedRows'),
        int('created'),
        int('updated'),
        int('skipped'),
        int('failed'),
        col.json('errors'),
        col.str('createdBy', 64),
        col.time('startedAt'),
        col.time('finishedAt'),
        col.str('lastError', 500, true),
      ],
      [
        { name: 'ix_imports_business', columnNames: ['businessId', 'id'] },
        { name: 'ix_imports_state', columnNames: ['state'] },
      ],
    );
    await createTable(
      qr,
      'guest_import_chunks',
      [...tenant, col.ref('importId'), { name: 'seq', type: 'int' }, { name: 'firstRow', type: 'int' }, { name: 'rowCount', type: 'int' }, { name: 'rows', type: isMysql(qr) ? 'longtext' : 'text' }],
      [{ name: 'ux_import_chunk', columnNames: ['importId', 'seq'], isUnique: true }],
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('guest_import_chunks', true);
    await qr.dropTable('guest_imports', true);
  }
}
