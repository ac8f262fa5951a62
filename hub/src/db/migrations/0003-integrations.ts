import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, createTable } from '../schema';

/** Connector installations and the runtime's dedupe and key/value tables (no connector's own tables: connectors migrate those). */
export class Integrations1764057600003 implements MigrationInterface {
  name = 'Integrations1764057600003';

  async up(qr: QueryRunner): Promise<void> {
    await createTable(
      qr,
      'integration_installations',
      [
        col.id(),
        col.ref('businessId'),
        col.str('connectorId', 40),
        col.bool('enabled', true),
        col.json('config'),
        col.time('lastSuccessAt'),
        col.time('lastErrorAt'),
        col.str('lastError', 500, true),
      ],
      [{ name: 'ux_integrations_business_connector', columnNames: ['businessId', 'connectorId'], isUnique: true }],
    );
    await qr.createTable(
      new Table({
        name: 'connector_processed',
        columns: [
          { ...col.str('connectorId', 40), isPrimary: true },
          { ...col.str('businessId', 64), isPrimary: true },
          { ...col.str('messageId', 64), isPrimary: true },
          col.time('processedAt', false),
        ],
        indices: [{ name: 'ix_connector_processed_time', columnNames: ['processedAt'] }],
      }),
      true,
    );
    await createTable(qr, 'connector_kv', [
      { ...col.str('connectorId', 40), isPrimary: true },
      { ...col.str('businessId', 64), isPrimary: true },
      { ...col.str('key', 200), isPrimary: true },
      col.json('value'),
      col.time('expiresAt'),
    ]);
    // The webhooks connector's tables (endpoints, deliveries, attempts) were created here until the
    // connector owned its storage; its own first migration creates them, or adopts these on databases
    // made before (hub/test/db/connector-storage.e2e-spec.ts).
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['connector_kv', 'connector_processed', 'integration_installations']) await qr.dropTable(t, true);
  }
}
