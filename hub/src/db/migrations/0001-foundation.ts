import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, createTable, isMysql } from '../schema';

/** Tenants, audit log, outbox and job leases. */
export class Foundation1764057600001 implements MigrationInterface {
  name = 'Foundation1764057600001';

  async up(qr: QueryRunner): Promise<void> {
    await createTable(qr, 'businesses', [
      col.id(),
      col.str('name', 200),
      col.str('currency', 3),
      col.str('timezone', 64),
      col.str('locale', 16),
      col.json('settings'),
    ]);
    await createTable(
      qr,
      'locations',
      [
        col.id(),
        col.ref('businessId'),
        col.str('name', 200),
        col.str('address', 500, true),
        { name: 'latitudeE6', type: 'int', isNullable: true },
        { name: 'longitudeE6', type: 'int', isNullable: true },
        col.bool('active', true),
      ],
      [{ name: 'ix_locations_business', columnNames: ['businessId'] }],
    );
    await createTable(
      qr,
      'terminals',
      [
        col.id(),
        col.ref('businessId'),
        col.str('name', 200),
        col.ref('locationId', true),
        col.str('keyPrefix', 16),
        col.str('keyHash', 64),
        col.json('scopes'),
        col.time('revokedAt'),
        col.time('lastUsedAt'),
      ],
      [
        { name: 'ix_terminals_business', columnNames: ['businessId'] },
        { name: 'ux_terminals_prefix', columnNames: ['keyPrefix'], isUnique: true },
      ],
    );
    await createTable(
      qr,
      'staff_users',
      [
        col.id(),
        col.ref('businessId'),
        col.str('email', 254),
        col.str('name', 200),
        col.str('role', 16),
        col.str('passwordHash', 255),
        col.bool('active', true),
        col.time('lastLoginAt'),
      ],
      [{ name: 'ux_staff_email', columnNames: ['email'], isUnique: true }],
    );
    await createTable(
      qr,
      'staff_sessions',
      [col.id(), col.ref('businessId'), col.str('tokenHash', 64), col.ref('staffId'), col.time('expiresAt', false), col.str('ip', 64, true)],
      [{ name: 'ux_sessions_token', columnNames: ['tokenHash'], isUnique: true }],
    );
    await createTable(
      qr,
      'audit_log',
      [
        col.id(),
        col.ref('businessId'),
        col.str('actorType', 16),
        col.str('actorId', 64),
        col.str('actorLabel', 254, true),
        col.str('action', 80),
        col.str('targetType', 40),
        col.str('targetId', 64, true),
        col.json('before', true),
        col.json('after', true),
        col.str('ip', 64, true),
      ],
      [
        { name: 'ix_audit_business_time', columnNames: ['businessId', 'createdAt'] },
        { name: 'ix_audit_target', columnNames: ['businessId', 'targetType', 'targetId'] },
      ],
    );
    await qr.createTable(
      new Table({
        name: 'outbox',
        columns: [
          { name: 'seq', type: isMysql(qr) ? 'bigint' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          col.str('eventId', 36),
          col.ref('businessId'),
          col.str('type', 80),
          col.json('data'),
          col.str('correlationId', 128, true),
          col.time('occurredAt', false),
          col.time('sentAt'),
          { name: 'attempts', type: 'int', default: '0' },
          col.str('lastError', 500, true),
        ],
        indices: [
          { name: 'ux_outbox_event', columnNames: ['eventId'], isUnique: true },
          { name: 'ix_outbox_unsent', columnNames: ['sentAt', 'seq'] },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: 'job_leases',
        columns: [{ name: 'name', type: 'varchar', length: '80', isPrimary: true }, col.str('holder', 80), col.time('expiresAt', false)],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['job_leases', 'outbox', 'audit_log', 'staff_sessions', 'staff_users', 'terminals', 'locations', 'businesses']) await qr.dropTable(t, true);
  }
}
