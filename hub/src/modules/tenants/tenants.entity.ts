import { Column, Entity, Index } from 'typeorm';
import { BaseEntity, IntColumn, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';
import type { Role } from '../../shared/context';

/** A business (tenant): a café, a restaurant chain, a salon. */
@Entity('businesses')
export class Business extends BaseEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** ISO 4217, e.g. RUB; all money of the business is in its minor units. */
  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** IANA time zone, e.g. Europe/Moscow: days, birthdays and reports follow it. */
  @Column({ type: 'varchar', length: 64 })
  timezone: string;

  @Column({ type: 'varchar', length: 16 })
  locale: string;

  /** Settings a business tunes: fraud limits and similar (validated by the tenants schemas). */
  @JsonColumn()
  settings: Record<string, any>;
}

@Entity('locations')
@Index('ix_locations_business', ['businessId'])
export class Location extends TenantEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  address: string | null;

  /** Coordinates in micro-degrees (integers): geo relevance of passes. */
  @Column({ type: 'int', nullable: true })
  latitudeE6: number | null;

  @Column({ type: 'int', nullable: true })
  longitudeE6: number | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;
}

/** A till, agent or integration that calls the POS API with its own key. */
@Entity('terminals')
@Index('ix_terminals_business', ['businessId'])
@Index('ux_terminals_prefix', ['keyPrefix'], { unique: true })
export class Terminal extends TenantEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @RefColumn({ nullable: true })
  locationId: string | null;

  /** Visible part of the key (lk_XXXXXXXX), unique: finds the row, shown in the console. */
  @Column({ type: 'varchar', length: 16 })
  keyPrefix: string;

  /** SHA-256 of the whole key (keys carry 256 random bits, so a fast hash is enough). */
  @Column({ type: 'varchar', length: 64 })
  keyHash: string;

  @JsonColumn()
  scopes: string[];

  @TimeColumn({ nullable: true })
  revokedAt: Date | null;

  @TimeColumn({ nullable: true })
  lastUsedAt: Date | null;
}

@Entity('staff_users')
@Index('ux_staff_email', ['email'], { unique: true })
export class StaffUser extends TenantEntity {
  /** Lower-cased; one login per e-mail across the platform. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  /** scrypt$N$r$p$salt$hash */
  @Column({ type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @TimeColumn({ nullable: true })
  lastLoginAt: Date | null;

  /** TOTP secret (base32), sealed with the hub's SecretBox; set at enrolment, kept after confirmation. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  mfaSecret: string | null = null;

  /** When the second factor was confirmed; null = not enrolled (a pending secret may exist). */
  @TimeColumn({ nullable: true })
  mfaEnabledAt: Date | null = null;

  /** SHA-256 hashes of the unused one-time recovery codes. */
  @JsonColumn({ nullable: true })
  mfaRecoveryCodes: string[] | null = null;

  /** The last TOTP time step accepted: a code is good once (no replay within its 30 s window). */
  @IntColumn({ nullable: true })
  mfaLastStep: number | null = null;
}

/** A console session; the cookie carries the token, the row keeps only its hash. */
@Entity('staff_sessions')
@Index('ux_sessions_token', ['tokenHash'], { unique: true })
export class StaffSession extends TenantEntity {
  @Column({ type: 'varchar', length: 64 })
  tokenHash: string;

  @RefColumn()
  staffId: string;

  @TimeColumn()
  expiresAt: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** Last request seen on this session (kept to the minute): the idle timeout counts from it. */
  @TimeColumn({ nullable: true })
  lastSeenAt: Date | null = null;
}
