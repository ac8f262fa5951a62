import { Column, Entity, Index } from 'typeorm';
import { BaseEntity, JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';
import type { WalletDesign } from './wallet.schemas';

/** How a program's cards look in the wallets (colours, texts, fields, locations, barcode). */
@Entity('wallet_designs')
@Index('ux_wallet_designs_program', ['businessId', 'programId'], { unique: true })
export class WalletDesignRow extends TenantEntity {
  @RefColumn()
  programId: string;

  /** Validated by `walletDesignSchema`. */
  @JsonColumn()
  design: WalletDesign;
}

/** An uploaded image of a design (icon, logo, strip), checked to be a real PNG/JPEG. */
@Entity('wallet_images')
@Index('ux_wallet_images_slot', ['businessId', 'programId', 'slot'], { unique: true })
export class WalletImage extends TenantEntity {
  @RefColumn()
  programId: string;

  /** icon | logo | strip */
  @Column({ type: 'varchar', length: 16 })
  slot: string;

  /** image/png | image/jpeg */
  @Column({ type: 'varchar', length: 32 })
  mime: string;

  @Column({ type: 'int' })
  width: number;

  @Column({ type: 'int' })
  height: number;

  @Column({ type: 'int' })
  bytes: number;

  @Column({ type: 'varchar', length: 40 })
  sha1: string;

  /** The file, base64. */
  @Column({ type: 'text' })
  data: string;
}

/**
 * A business's Apple Wallet credentials: the Pass Type ID certificate and its private key (the key
 * sealed with the hub secret), and optionally an APNs token-auth key for pushes.
 */
@Entity('wallet_apple_accounts')
@Index('ux_wallet_apple_business', ['businessId'], { unique: true })
export class AppleAccount extends TenantEntity {
  @Column({ type: 'varchar', length: 128 })
  passTypeId: string;

  @Column({ type: 'varchar', length: 20 })
  teamId: string;

  @Column({ type: 'text' })
  certPem: string;

  /** `SecretBox.seal(JSON.stringify({ keyPem, passphrase }))`. */
  @Column({ type: 'text' })
  keySealed: string;

  /** The WWDR intermediate uploaded with the certificate (else the hub's APPLE_WWDR_CERT_FILE). */
  @Column({ type: 'text', nullable: true })
  wwdrPem: string | null;

  @Column({ type: 'varchar', length: 500 })
  subject: string;

  @TimeColumn()
  notAfter: Date;

  @Column({ type: 'varchar', length: 20, nullable: true })
  apnsKeyId: string | null;

  /** Sealed PKCS#8 PEM of the APNs auth key (.p8). */
  @Column({ type: 'text', nullable: true })
  apnsKeySealed: string | null;
}

/** A business's Google Wallet issuer and service account (private key sealed). */
@Entity('wallet_google_accounts')
@Index('ux_wallet_google_business', ['businessId'], { unique: true })
export class GoogleAccount extends TenantEntity {
  @Column({ type: 'varchar', length: 32 })
  issuerId: string;

  @Column({ type: 'varchar', length: 254 })
  clientEmail: string;

  /** Sealed JSON of the service account key (`private_key`, `private_key_id`, `token_uri`). */
  @Column({ type: 'text' })
  keySealed: string;
}

export type WalletPlatform = 'apple' | 'google';

/**
 * A card's pass on one platform. Apple: `serial` is the pass serial number (the card id).
 * Google: `serial` is the object id (`issuerId.suffix`), `classId` its class.
 */
@Entity('wallet_passes')
@Index('ux_wallet_passes_card', ['businessId', 'cardId', 'platform'], { unique: true })
@Index('ux_wallet_passes_serial', ['platform', 'serial'], { unique: true })
@Index('ix_wallet_passes_program', ['businessId', 'programId', 'platform'])
export class WalletPass extends TenantEntity {
  @RefColumn()
  cardId: string;

  @RefColumn()
  programId: string;

  @Column({ type: 'varchar', length: 8 })
  platform: WalletPlatform;

  @Column({ type: 'varchar', length: 128 })
  serial: string;

  /** Apple: the pass type id the pass was made with. Google: the class id. */
  @Column({ type: 'varchar', length: 128 })
  typeId: string;

  /** Real time of the last change (ms): the tag of "serials updated since". */
  @TimeColumn()
  touchedAt: Date;

  /** `Last-Modified` of the pass: whole seconds, strictly increasing per pass. */
  @TimeColumn()
  lastModified: Date;

  /** Google: times of the last notifying messages (ISO), to stay within 3 per 24 h. */
  @JsonColumn({ nullable: true })
  notifyLog: string[] | null;
}

/** An Apple device that registered a pass for updates (PassKit web service). */
@Entity('wallet_registrations')
@Index('ux_wallet_registrations', ['deviceLibraryId', 'passTypeId', 'serial'], { unique: true })
@Index('ix_wallet_registrations_serial', ['passTypeId', 'serial'])
@Index('ix_wallet_registrations_card', ['businessId', 'cardId'])
export class WalletRegistration extends TenantEntity {
  @RefColumn()
  cardId: string;

  @Column({ type: 'varchar', length: 128 })
  deviceLibraryId: string;

  @Column({ type: 'varchar', length: 128 })
  passTypeId: string;

  @Column({ type: 'varchar', length: 128 })
  serial: string;

  @Column({ type: 'varchar', length: 200 })
  pushToken: string;
}

/** Bus messages a wallet consumer has handled (consumers are idempotent on the message id). */
@Entity('wallet_inbox')
@Index('ux_wallet_inbox', ['consumer', 'messageId'], { unique: true })
export class WalletInbox extends BaseEntity {
  @Column({ type: 'varchar', length: 64 })
  consumer: string;

  @Column({ type: 'varchar', length: 64 })
  messageId: string;
}
