import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Connector key/value entries get a version (compare-and-set for `update`, so two hubs refreshing
 * one rotating token write once each in turn) and a sealed flag (the value is encrypted at rest).
 */
export class ConnectorKvVersions1764057600009 implements MigrationInterface {
  name = 'ConnectorKvVersions1764057600009';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumns('connector_kv', [
      new TableColumn({ name: 'version', type: 'bigint', default: '0' }),
      new TableColumn({ name: 'sealed', type: 'boolean', default: '0' }),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('connector_kv', 'sealed');
    await qr.dropColumn('connector_kv', 'version');
  }
}
