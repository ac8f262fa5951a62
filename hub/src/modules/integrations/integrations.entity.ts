import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { IntColumn, JsonColumn, TenantEntity, TimeColumn } from '../../db/columns';

/**
 * A connector installed for a business. `config` is the connector's config with every secret field
 * sealed (`{"$sealed": "v1.…", "hint": "••••1234"}`): decrypted only when a handler or a check needs it.
 */
@Entity('integration_installations')
@Index('ux_integrations_business_connector', ['businessId', 'connectorId'], { unique: true })
export class IntegrationInstallation extends TenantEntity {
  @Column({ type: 'varchar', length: 40 })
  connectorId: string;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @JsonColumn()
  config: Record<string, any>;

  @TimeColumn({ nullable: true })
  lastSuccessAt: Date | null;

  @TimeColumn({ nullable: true })
  lastErrorAt: Date | null;

  /** Never contains a secret: the runtime scrubs secret values from error texts. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}

/** Messages a connector handled for a business (the runtime's dedupe on envelope id); purged after a week. */
@Entity('connector_processed')
@Index('ix_connector_processed_time', ['processedAt'])
export class ProcessedMessage {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  connectorId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  businessId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  messageId: string;

  @TimeColumn()
  processedAt: Date;
}

/** The small key/value store the SDK gives each connector, per business. */
@Entity('connector_kv')
export class ConnectorKv {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  connectorId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  businessId: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  key: string;

  /** The JSON value; when `sealed`, the secret box's sealed text of its JSON. */
  @JsonColumn()
  value: any;

  @TimeColumn({ nullable: true })
  expiresAt: Date | null;

  /** Bumped by every write: `update()` writes only if the version it read is still there (compare-and-set). */
  @IntColumn()
  version: number;

  @Column({ type: 'boolean', default: false })
  sealed: boolean;
}
