import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions, type TableIndexOptions } from 'typeorm';

const isMysql = (qr: QueryRunner) => qr.connection.options.type === 'mysql' || qr.connection.options.type === 'mariadb';
const now = (qr: QueryRunner) => (isMysql(qr) ? 'CURRENT_TIMESTAMP(3)' : "(strftime('%Y-%m-%d %H:%M:%f','now'))");

const id = (name: string, primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const int = (name: string, def?: number): TableColumnOptions => ({
  name,
  type: 'int',
  isNullable: def === undefined,
  default: def === undefined ? undefined : String(def),
});
const time = (name: string): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: true });
const text = (name: string, nullable: boolean): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });

/**
 * Creates the table unless it exists: databases made before the connector owned its storage got
 * these tables from the hub's migration 0003, with the same columns; they are adopted as they are,
 * rows and all.
 */
async function createOrAdopt(qr: QueryRunner, name: string, columns: TableColumnOptions[], indices: TableIndexOptions[]): Promise<void> {
  if (await qr.hasTable(name)) return;
  const stamps: TableColumnOptions[] = [
    { name: 'createdAt', type: 'datetime', precision: 3, default: now(qr) },
    { name: 'updatedAt', type: 'datetime', precision: 3, default: now(qr), onUpdate: isMysql(qr) ? 'CURRENT_TIMESTAMP(3)' : undefined },
  ];
  await qr.createTable(new Table({ name, columns: [...columns, ...stamps], indices: indices.map((i) => new TableIndex(i)) }), true);
}

/** Endpoints, deliveries and attempts (see `entities.ts`). */
export class WebhookTables1764057600101 implements MigrationInterface {
  name = 'WebhookTables1764057600101';

  async up(qr: QueryRunner): Promise<void> {
    await createOrAdopt(
      qr,
      'webhook_endpoints',
      [
        id('id', true),
        id('businessId'),
        str('url', 2000),
        str('description', 500, true),
        text('eventTypes', false),
        { name: 'enabled', type: 'boolean', default: '1' },
        str('disabledReason', 40, true),
        time('disabledAt'),
        text('secret', false),
        text('previousSecret', true),
        time('previousSecretExpiresAt'),
        time('failingSince'),
        int('disableAfterDays', 5),
        time('lastSuccessAt'),
        time('lastFailureAt'),
      ],
      [{ name: 'ix_webhook_endpoints_business', columnNames: ['businessId'] }],
    );
    await createOrAdopt(
      qr,
      'webhook_deliveries',
      [
        id('id', true),
        id('businessId'),
        id('endpointId'),
        str('messageId', 64),
        str('eventType', 80),
        text('payload', false),
        str('status', 16),
        int('attempts', 0),
        int('roundAttempts', 0),
        time('nextAttemptAt'),
        time('lockedUntil'),
        int('lastStatusCode'),
        str('lastError', 500, true),
        time('lastAttemptAt'),
        time('deliveredAt'),
      ],
      [
        { name: 'ux_webhook_deliveries_message', columnNames: ['endpointId', 'messageId'], isUnique: true },
        { name: 'ix_webhook_deliveries_due', columnNames: ['status', 'nextAttemptAt'] },
        { name: 'ix_webhook_deliveries_endpoint', columnNames: ['businessId', 'endpointId', 'createdAt'] },
      ],
    );
    await createOrAdopt(
      qr,
      'webhook_attempts',
      [
        id('id', true),
        id('businessId'),
        id('endpointId'),
        id('deliveryId'),
        { name: 'attempt', type: 'int' },
        str('status', 16),
        int('responseCode'),
        { name: 'durationMs', type: 'int' },
        str('error', 500, true),
      ],
      [
        { name: 'ix_webhook_attempts_delivery', columnNames: ['deliveryId'] },
        { name: 'ix_webhook_attempts_endpoint', columnNames: ['businessId', 'endpointId', 'createdAt'] },
      ],
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['webhook_attempts', 'webhook_deliveries', 'webhook_endpoints']) await qr.dropTable(t, true);
  }
}
