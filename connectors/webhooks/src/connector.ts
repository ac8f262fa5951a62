import { allowPrivateFrom, defineConnector, type ConnectorDefinition, type ConnectorServices, type Envelope, type HandlerContext, type HandlerMap } from '@loyalty/sdk';
import { adminRoutes } from './admin';
import { configSchema, type WebhooksConfig } from './config.schema';
import { WebhookEngine, type EngineOptions } from './engine';
import { manifest, WEBHOOK_EVENT_TYPES } from './manifest';
import { webhookEntities } from './entities';
import { purgeOldDeliveries, redactGuestDeliveries } from './privacy';
import { webhookMigrations } from './migrations';

export type WebhooksOptions = Partial<Pick<EngineOptions, 'schedule' | 'random' | 'deliver' | 'pollMs' | 'timeoutMs' | 'batch'>>;

/** The webhooks connector plus its engine (tests drive `engine.runDue()` with a fake clock). */
export type WebhooksConnector = ConnectorDefinition<typeof configSchema> & { engine: WebhookEngine };

/**
 * Builds the connector on its own tables (`storage`: entities and migrations, reached through the
 * host's scoped `services.store`) and the host's secret box.
 * Settings: `CONNECTORS_ALLOW_PRIVATE=true` (or the older `WEBHOOKS_ALLOW_PRIVATE`) lets endpoints target private and loopback addresses
 * (tests, on-premise receivers).
 */
export function createConnector(services: ConnectorServices, options: WebhooksOptions = {}): WebhooksConnector {
  if (!services.store) throw new Error('The webhooks connector needs its tables in the host database (services.store)');
  const engine = new WebhookEngine({
    store: services.store,
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
  const store = services.store;
  // Erasure: the delivery log forgets the guest's personal fields, then subscribers hear of it too.
  handlers['guest.erased'] = async (env, ctx) => {
    await redactGuestDeliveries(store, ctx.businessId, (env.data as { guestId: string }).guestId);
    await enqueue(env, ctx);
  };
  const def = defineConnector({
    manifest,
    configSchema,
    handlers,
    check: async () => ({ ok: true, detail: 'Webhooks need no vendor account; each endpoint shows its own delivery log' }),
    start: () => {
      engine.start();
      // Retention of the delivery log (every process may run it: the deletes are idempotent).
      const purge = () => void purgeOldDeliveries(store, services.now()).catch((e) => services.log.warn({ err: (e as Error).message }, 'webhook retention failed'));
      const first = setTimeout(purge, 60_000);
      const every = setInterval(purge, 3_600_000);
      first.unref?.();
      every.unref?.();
      return {
        stop: async () => {
          clearTimeout(first);
          clearInterval(every);
          await engine.stop();
        },
      };
    },
    admin: adminRoutes(engine),
    uninstall: (businessId) => engine.purgeBusiness(businessId),
    storage: { entities: webhookEntities, migrations: webhookMigrations },
    // Handlers only record deliveries in the database (HTTP happens in the engine's loop).
    concurrency: 200,
  });
  return { ...def, engine };
}
