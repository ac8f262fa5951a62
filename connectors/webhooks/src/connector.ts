import type { DataSource } from 'typeorm';
import { allowPrivateFrom, defineConnector, type ConnectorDefinition, type ConnectorServices, type Envelope, type HandlerContext, type HandlerMap } from '@loyalty/sdk';
import { adminRoutes } from './admin';
import { configSchema, type WebhooksConfig } from './config.schema';
import { WebhookEngine, type EngineOptions } from './engine';
import { manifest, WEBHOOK_EVENT_TYPES } from './manifest';

export type WebhooksOptions = Partial<Pick<EngineOptions, 'schedule' | 'random' | 'deliver' | 'pollMs' | 'timeoutMs' | 'batch'>>;

/** The webhooks connector plus its engine (tests drive `engine.runDue()` with a fake clock). */
export type WebhooksConnector = ConnectorDefinition<typeof configSchema> & { engine: WebhookEngine };

/**
 * Builds the connector on the host's database (tables from the hub's migration 0003) and secret box.
 * Settings: `CONNECTORS_ALLOW_PRIVATE=true` (or the older `WEBHOOKS_ALLOW_PRIVATE`) lets endpoints target private and loopback addresses
 * (tests, on-premise receivers).
 */
export function createConnector(services: ConnectorServices, options: WebhooksOptions = {}): WebhooksConnector {
  if (!services.dataSource) throw new Error('The webhooks connector needs the host database (services.dataSource)');
  const engine = new WebhookEngine({
    dataSource: services.dataSource as DataSource,
    transaction: services.transaction,
    secrets: services.secrets,
    log: services.log,
    now: services.now,
    allowPrivate: allowPrivateFrom(services.settings),
    ...options,
  });
  // Every event type is handled the same way: record a delivery per interested endpoint. The
  // HTTP attempts run in the engine's loop, on the persisted retry schedule, not in the bus handler.
  const enqueue = async (env: Envelope, ctx: HandlerContext<WebhooksConfig>): Promise<void> => {
    await engine.enqueue(ctx.businessId, env);
  };
  const handlers = Object.fromEntries(WEBHOOK_EVENT_TYPES.map((t) => [t, enqueue])) as HandlerMap<WebhooksConfig>;
  const def = defineConnector({
    manifest,
    configSchema,
    handlers,
    check: async () => ({ ok: true, detail: 'Webhooks need no vendor account; each endpoint shows its own delivery log' }),
    start: () => {
      engine.start();
      return { stop: () => engine.stop() };
    },
    admin: adminRoutes(engine),
    uninstall: (businessId) => engine.purgeBusiness(businessId),
    // Handlers only record deliveries in the database (HTTP happens in the engine's loop).
    concurrency: 200,
  });
  return { ...def, engine };
}
