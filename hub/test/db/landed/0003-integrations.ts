import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, createTable } from '../../../src/db/schema';

/**
 * Hub migration 0003 as it shipped, when it still created the webhooks connector's tables: builds
 * databases "made by the landed migrations" for the upgrade test. Do not change.
 */
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
    await createTable(
      qr,
      'webhook_endpoints',
      [
        col.id(),
        col.ref('businessId'),
        col.str('url', 2000),
        col.str('description', 500, true),
        col.json('eventTypes'),
        col.bool('enabled', true),
        col.str('disabledReason', 40, true),
        col.time('disabledAt'),
        col.text('secret', false),
        col.text('previousSecret'),
        col.time('previousSecretExpiresAt'),
        col.time('failingSince'),
        { name: 'disableAfterDays', type: 'int', default: '5' },
        col.time('lastSuccessAt'),
        col.time('lastFailureAt'),
      ],
      [{ name: 'ix_webhook_endpoints_business', columnNames: ['businessId'] }],
    );
    await createTable(
      qr,
      'webhook_deliveries',
      [
        col.id(),
        col.ref('businessId'),
        col.ref('endpointId'),
        col.str('messageId', 64),
        col.str('eventType', 80),
        col.text('payload', false),
        col.str('status', 16),
        { name: 'attempts', type: 'int', default: '0' },
        { name: 'roundAttempts', type: 'int', default: '0' },
        col.time('nextAttemptAt'),
        col.time('lockedUntil'),
        { name: 'lastStatusCode', type: 'int', isNullable: true },
        col.str('lastError', 500, true),
        col.time('lastAttemptAt'),
        col.time('deliveredAt'),
      ],
      [
        { name: 'ux_webhook_deliveries_message', columnNames: ['endpointId', 'messageId'], isUnique: true },
        { name: 'ix_webhook_deliveries_due', columnNames: ['status', 'nextAttemptAt'] },
        { name: 'ix_webhook_deliveries_endpoint', columnNames: ['businessId', 'endpointId', 'createdAt'] },
      ],
    );
    await createTable(
      qr,
      'webhook_attempts',
      [
        col.id(),
        col.ref('businessId'),
        col.ref('endpointId'),
        col.ref('deliveryId'),
        { name: 'attempt', type: 'int' },
        col.str('status', 16),
        { name: 'responseCode', type: 'int', isNullable: true },
        { name: 'durationMs', type: 'int' },
        col.str('error', 500, true),
      ],
      [
        { name: 'ix_webhook_attempts_delivery', columnNames: ['deliveryId'] },
        { name: 'ix_webhook_attempts_endpoint', columnNames: ['businessId', 'endpointId', 'createdAt'] },
      ],
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['webhook_attempts', 'webhook_deliveries', 'webhook_endpoints', 'connector_kv', 'connector_processed', 'integration_installations'])
      await qr.dropTable(t, true);
  }
}
