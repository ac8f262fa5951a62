import { WebhookTables1764057600101 } from './0001-webhook-tables';

/** The connector's migrations in order (recorded per connector by the host); never edit a shipped one, add the next. */
export const webhookMigrations = [WebhookTables1764057600101];
