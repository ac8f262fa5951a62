import { OutboxMessage } from '../bus/outbox.entity';
import { JobLease } from '../jobs/lease.entity';
import { AuditEntry } from '../modules/audit/audit.entity';
import { Business, Location, StaffSession, StaffUser, Terminal } from '../modules/tenants/tenants.entity';
import { Foundation1764057600001 } from './migrations/0001-foundation';
import { GuestImports1764057600005 } from './migrations/0005-guest-imports';
import { StaffAccounts1764057600006 } from './migrations/0006-staff-accounts';
import { GuestImport, GuestImportChunk } from '../modules/guests/import.entity';
import { LoyaltyCore1764057600002 } from './migrations/0002-loyalty-core';
import { Coupon, Program } from '../modules/programs/programs.entity';
import { BlacklistEntry, Guest } from '../modules/guests/guests.entity';
import { Card } from '../modules/cards/cards.entity';
import { LedgerEntry, LotConsumption, PointLot } from '../modules/ledger/ledger.entity';
import { Checkout, CheckoutRefund, CouponRedemption } from '../modules/checkout/checkout.entity';
import { ConnectorKv, IntegrationInstallation, ProcessedMessage } from '../modules/integrations/integrations.entity';
import { Integrations1764057600003 } from './migrations/0003-integrations';
import { ConnectorKvVersions1764057600009 } from './migrations/0009-connector-kv-versions';
import { WalletEngagement1764057600004 } from './migrations/0004-wallet-engagement';
import { AppleAccount, GoogleAccount, WalletDesignRow, WalletImage, WalletInbox, WalletPass, WalletRegistration } from '../modules/wallet/wallet.entity';
import { FormRegistration, RegistrationForm, SmsCode, SmsPolicy } from '../modules/engagement/engagement.entity';
import { GuestPrivacy1764057600008 } from './migrations/0008-guest-privacy';
import { GuestSegments1764057600007 } from './migrations/0007-guest-segments';
import { RefundVoids1764057600010 } from './migrations/0010-refund-voids';
import { Analytics1764057600014 } from './migrations/0014-analytics';
import { ConsentVersions1764057600017 } from './migrations/0017-consent-versions';
import { GuestList1764057600018 } from './migrations/0018-guest-list';
import { AnalyticsBuyer, AnalyticsDaily, AnalyticsInbox, AnalyticsState } from '../modules/analytics/analytics.entity';
import { Review, ReviewSettings } from '../modules/reviews/reviews.entity';
import { UtmTag } from '../modules/utm/utm.entity';

/**
 * Every entity of every hub module; a module adds its own here. Connectors' tables are not listed:
 * each connector declares its own (`storage` on its definition) and the hub maps the loaded ones.
 */
export const allEntities = [
  GuestImport,
  GuestImportChunk,
  Business, Location, Terminal, StaffUser, StaffSession, AuditEntry, OutboxMessage, JobLease,
  Program, Coupon, Guest, BlacklistEntry, Card, LedgerEntry, PointLot, LotConsumption, Checkout, CheckoutRefund, CouponRedemption,
  IntegrationInstallation, ProcessedMessage, ConnectorKv,
  WalletDesignRow, WalletImage, AppleAccount, GoogleAccount, WalletPass, WalletRegistration, WalletInbox, RegistrationForm, SmsCode, FormRegistration, SmsPolicy,
  AnalyticsDaily, AnalyticsInbox, AnalyticsBuyer, AnalyticsState, UtmTag, Review, ReviewSettings,
];

/** Migrations in order; never edit one that has shipped, add the next. */
export const allMigrations = [Foundation1764057600001, LoyaltyCore1764057600002, Integrations1764057600003, WalletEngagement1764057600004, GuestImports1764057600005, StaffAccounts1764057600006, GuestSegments1764057600007, GuestPrivacy1764057600008, ConnectorKvVersions1764057600009, RefundVoids1764057600010, Analytics1764057600014, ConsentVersions1764057600017, GuestList1764057600018];
