import { Column, Entity, Index } from 'typeorm';
import { JsonColumn, RefColumn, TenantEntity, TimeColumn } from '../../db/columns';
import type { FormFields, FormVariable } from './engagement.schemas';

/** A public registration page of a business for one program (its address is `/join/<slug>`). */
@Entity('engagement_forms')
@Index('ux_engagement_forms_slug', ['slug'], { unique: true })
@Index('ix_engagement_forms_business', ['businessId'])
export class RegistrationForm extends TenantEntity {
  @RefColumn()
  programId: string;

  /** Public address part: lower-case letters, digits and `-`, unique across the hub. */
  @Column({ type: 'varchar', length: 64 })
  slug: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** Which standard fields the form asks (required / optional / hidden). */
  @JsonColumn()
  fields: FormFields;

  /** The business's own questions, stored on the guest as attributes. */
  @JsonColumn()
  variables: FormVariable[];

  /** Consent to personal data processing: the checkbox must be ticked to register. */
  @Column({ type: 'text' })
  consentText: string;

  /** Optional marketing consent checkbox (null = not asked). */
  @Column({ type: 'text', nullable: true })
  marketingConsentText: string | null;

  @Column({ type: 'boolean', default: true })
  smsVerification: boolean;

  @Column({ type: 'boolean', default: true })
  active: boolean;
}

/** A verification code sent by SMS: only its hash is kept; 5 wrong attempts burn it. */
@Entity('engagement_sms_codes')
@Index('ix_engagement_sms_phone', ['businessId', 'phone', 'createdAt'])
@Index('ix_engagement_sms_ip', ['businessId', 'ip', 'createdAt'])
@Index('ix_engagement_sms_form', ['formId', 'createdAt'])
@Index('ix_engagement_sms_created', ['createdAt'])
export class SmsCode extends TenantEntity {
  @RefColumn()
  formId: string;

  @Column({ type: 'varchar', length: 20 })
  phone: string;

  /** HMAC-SHA256 of the code (keyed by the hub secret and the code id). */
  @Column({ type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @TimeColumn()
  expiresAt: Date;

  @TimeColumn({ nullable: true })
  verifiedAt: Date | null;

  @TimeColumn({ nullable: true })
  usedAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}

/** One completed registration through a form: where the guest came from (UTM, referral) and their consent. */
@Entity('engagement_registrations')
@Index('ix_engagement_registrations_form', ['businessId', 'formId', 'createdAt'])
export class FormRegistration extends TenantEntity {
  @RefColumn()
  formId: string;

  @RefColumn()
  guestId: string;

  @RefColumn({ nullable: true })
  cardId: string | null;

  /** The guest had registered before (the SMS code proved the phone; their card is shown). */
  @Column({ type: 'boolean', default: false })
  existingGuest: boolean;

  @JsonColumn({ nullable: true })
  utm: Record<string, string> | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  referralCode: string | null;

  @TimeColumn()
  consentAt: Date;

  /** The consent text the guest agreed to (152-ФЗ evidence), as the page showed it. */
  @Column({ type: 'text', nullable: true })
  consentText: string | null;

  /** First 16 hex of the SHA-256 of `consentText`: which version of the text, for comparing at a glance. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  consentVersion: string | null;

  /** The marketing consent text (38-ФЗ) when the guest ticked it; null when they did not. */
  @Column({ type: 'text', nullable: true })
  marketingConsentText: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;
}

/**
 * The SMS policy of a business: what it may spend and who may ask. Its row is also the lock that
 * makes the caps exact: every code request of the business takes it `FOR UPDATE` before counting,
 * so two hubs on one database cannot both accept the last code of a budget.
 */
@Entity('engagement_sms_policies')
@Index('ux_engagement_sms_policies_business', ['businessId'], { unique: true })
export class SmsPolicy extends TenantEntity {
  /** SMS a business may send per day (its time zone); past it, codes are refused until midnight. */
  @Column({ type: 'int', default: 500 })
  dailyBudget: number;

  /** Codes one IP address may request per hour (sliding window). */
  @Column({ type: 'int', default: 10 })
  codesPerIpPerHour: number;

  /** Codes one registration page may send per hour (sliding window). */
  @Column({ type: 'int', default: 100 })
  codesPerFormPerHour: number;

  /** E.164 prefixes SMS may go to (`+7`, `+375`); null = the business's own country. */
  @JsonColumn({ nullable: true })
  allowedPrefixes: string[] | null;

  /** The business-local day `sentOnDay` counts (YYYY-MM-DD). */
  @Column({ type: 'varchar', length: 10, nullable: true })
  day: string | null;

  @Column({ type: 'int', default: 0 })
  sentOnDay: number;

  /** When the budget of `day` ran out (null while there is budget left): the console's alert. */
  @TimeColumn({ nullable: true })
  exhaustedAt: Date | null;
}
