import 'reflect-metadata';
import type { Server } from 'node:http';
import path from 'node:path';
import pino, { Logger } from 'pino';
import client from 'prom-client';
import { z } from 'zod';
import type { Config } from './config';
import { Db, type DbOptions } from './db/db';
import type { Bus } from './bus/bus';
import { MemoryBus } from './bus/memory-bus';
import { OutboxRelay } from './bus/outbox';
import { redactGuestInOutbox } from './bus/outbox.privacy';
import { createHttpApp } from './http/app';
import type { Api } from './http/api';
import { AuditService } from './modules/audit/audit.service';
import { auditRoutes } from './modules/audit/audit.routes';
import { TenantsService } from './modules/tenants/tenants.service';
import { tenantsRoutes } from './modules/tenants/tenants.routes';
import { SecretBox } from './shared/crypto';
import { ProgramsService } from './modules/programs/programs.service';
import { programsRoutes } from './modules/programs/programs.routes';
import { GuestsService, guestOut } from './modules/guests/guests.service';
import { guestsRoutes } from './modules/guests/guests.routes';
import { GuestImportService } from './modules/guests/import.service';
import { importRoutes } from './modules/guests/import.routes';
import { LedgerService } from './modules/ledger/ledger.service';
import { OpeningBalancesService } from './modules/ledger/opening.service';
import { CardsService } from './modules/cards/cards.service';
import { Card } from './modules/cards/cards.entity';
import { cardsRoutes } from './modules/cards/cards.routes';
import { CheckoutService } from './modules/checkout/checkout.service';
import { checkoutRoutes } from './modules/checkout/checkout.routes';
import { SalesHistory } from './modules/checkout/sales.service';
import { scannerRoutes } from './modules/checkout/scanner.routes';
import { posLookupRoutes } from './modules/checkout/lookup.routes';
import { summaryRoutes } from './modules/analytics/summary.routes';
import { AnalyticsService } from './modules/analytics/analytics.service';
import { analyticsRoutes } from './modules/analytics/analytics.routes';
import { homeRoutes } from './modules/home/home.routes';
import { registerAnalyticsJobs } from './modules/analytics/analytics.jobs';
import { exportRoutes } from './modules/analytics/exports';
import { UtmService } from './modules/utm/utm.service';
import { utmRoutes } from './modules/utm/utm.routes';
import { ReviewsService } from './modules/reviews/reviews.service';
import { reviewsRoutes } from './modules/reviews/reviews.routes';
import { Scheduler } from './jobs/scheduler';
import type { Clock } from './jobs/clock';
import { registerLedgerJobs } from './modules/ledger/ledger.jobs';
import { registerCheckoutJobs } from './modules/checkout/checkout.jobs';
import { registerTenantsJobs } from './modules/tenants/tenants.jobs';
import { registerImportJobs } from './modules/guests/import.jobs';
import { registerIntegrationsJobs } from './modules/integrations/integrations.jobs';
import { registerEngagementJobs } from './modules/engagement/engagement.jobs';
import { registerOutboxJobs } from './bus/outbox.jobs';
import { IntegrationsService } from './modules/integrations/integrations.service';
import { ConnectorHost } from './modules/integrations/integrations.runtime';
import { integrationsRoutes } from './modules/integrations/integrations.routes';
import { createIntegrations, loadConnectors, type ConnectorCatalog, type ConnectorFactory } from './modules/integrations/integrations.module';
import { WalletService } from './modules/wallet/wallet.service';
import { walletRoutes } from './modules/wallet/wallet.routes';
import { EngagementService } from './modules/engagement/engagement.service';
import { engagementRoutes } from './modules/engagement/engagement.routes';
import { passUnavailablePage } from './modules/engagement/engagement.pages';
import { ConsoleSmsProvider, SmsRuProvider } from './modules/engagement/engagement.sms';
import { CommandRouter } from './modules/commands/commands.router';
import { schemaProblem } from './db/schema-status';
import { releaseLease } from './jobs/lease';

export const VERSION = '0.1.0';

export interface HubOptions {
  config: Config;
  db: Db;
  bus?: Bus;
  log?: Logger;
  hubSecret: string;
  /** Connectors besides the packages named in CONNECTORS (tests, plugins). */
  connectors?: ConnectorFactory[];
  /**
   * The connectors, loaded before `db` was opened with their tables ({@link Hub.loadConnectors});
   * without it the hub loads them now, and `db` must already map the tables of those that keep some.
   */
  catalog?: ConnectorCatalog;
  /** The scheduler's clock (tests inject a fake one and move it). */
  clock?: Clock;
}

export interface Services {
  audit: AuditService;
  tenants: TenantsService;
  programs: ProgramsService;
  guests: GuestsService;
  imports: GuestImportService;
  ledger: LedgerService<Card>;
  cards: CardsService;
  checkout: CheckoutService;
  integrations: IntegrationsService;
  wallet: WalletService;
  engagement: EngagementService;
  analytics: AnalyticsService;
  utm: UtmService;
  reviews: ReviewsService;
}

/**
 * The composition root: database -> bus -> modules -> http. Used by `npm start` and by tests,
 * so the tested hub is the shipped hub.
 */
export class Hub {
  readonly db: Db;
  readonly bus: Bus;
  readonly log: Logger;
  readonly services: Services;
  readonly relay: OutboxRelay;
  readonly metrics = new client.Registry();
  readonly app;
  readonly api: Api;
  readonly secrets: SecretBox;
  readonly scheduler: Scheduler;
  /** Connectors run in this process (embedded mode): bus consumers and background tasks. */
  readonly connectors: ConnectorHost;
  /** The loaded connectors, with the services (scoped stores) each was built with. */
  readonly catalog: ConnectorCatalog;
  /** Serves connectors' bus commands (`loyalty.commands`) through the same services as the HTTP API. */
  readonly commands: CommandRouter;
  private server?: Server;
  /** Set when stop() begins: /readyz answers 503 so a load balancer sends new work elsewhere. */
  private draining = false;
  /** start() ran: the relay is this process's to drain at stop() (tests drive the relay themselves). */
  private started = false;
  private schemaChecked?: { at: number; problem?: string };

  /**
   * Step one of the composition: the connectors (CONNECTORS plus `connectors`), loaded before the
   * database opens so that it maps and migrates their tables: `Db.open({ …, connectors: catalog.storage })`.
   */
  static loadConnectors(o: Pick<HubOptions, 'config' | 'hubSecret' | 'connectors' | 'log'>): ConnectorCatalog {
    return loadConnectors({
      config: o.config,
      secrets: new SecretBox(o.hubSecret),
      log: o.log ?? pino({ level: o.config.LOG_LEVEL }),
      extra: o.connectors,
    });
  }

  /** config -> connectors -> database (hub and connector migrations) -> hub. */
  static async open(o: Omit<HubOptions, 'db' | 'catalog'> & { database: Omit<DbOptions, 'connectors'> }): Promise<Hub> {
    const log = o.log ?? pino({ level: o.config.LOG_LEVEL });
    const catalog = Hub.loadConnectors({ ...o, log });
    const db = await Db.open({ ...o.database, connectors: catalog.storage });
    return new Hub({ ...o, log, db, catalog });
  }

  constructor(readonly opts: HubOptions) {
    const { config } = opts;
    this.db = opts.db;
    this.log = opts.log ?? pino({ level: config.LOG_LEVEL });
    this.bus = opts.bus ?? new MemoryBus();
    this.secrets = new SecretBox(opts.hubSecret);
    client.collectDefaultMetrics({ register: this.metrics });
    const audit = new AuditService(this.db);
    const tenants = new TenantsService(this.db, audit, {
      sessionTtlHours: config.SESSION_TTL_HOURS,
      sessionIdleMinutes: config.SESSION_IDLE_MINUTES,
      secureCookies: config.secureCookies,
      production: config.NODE_ENV === 'production',
      secrets: this.secrets,
    });
    this.relay = new OutboxRelay(this.db, this.bus, this.log.child({ component: 'outbox' }), { pollMs: config.OUTBOX_POLL_MS });
    const programs = new ProgramsService(this.db, audit);
    const guests = new GuestsService(this.db, audit);
    const ledger = new LedgerService(this.db, Card);
    // Cards sit below guests: they read their holder through a port (the cycle breaks here).
    const holders = { findByPhone: guests.findByPhone.bind(guests), get: guests.get.bind(guests), isBlacklisted: guests.isBlacklisted.bind(guests), view: guestOut, contacts: guests.contacts.bind(guests) };
    const cards = new CardsService(this.db, audit, ledger, programs, holders, tenants);
    guests.issueCard = (ctx, tx, programId, guestId) => cards.issueInTx(ctx, tx, programId, guestId);
    const checkout = new CheckoutService(this.db, audit, ledger, programs, cards, tenants, guests, (ctx) => tenants.currency(ctx), () => this.relay.kick());
    const imports = new GuestImportService(this.db, audit, programs, cards, new OpeningBalancesService());
    const integrations = createIntegrations({ db: this.db, bus: this.bus, log: this.log, audit, secrets: this.secrets, config, extra: opts.connectors, catalog: opts.catalog });
    this.connectors = integrations.host;
    this.catalog = integrations.catalog;
    const kick = () => this.relay.kick();
    const sms =
      config.SMS_PROVIDER === 'smsru'
        ? new SmsRuProvider({ apiId: config.SMSRU_API_ID!, baseUrl: config.SMSRU_URL, from: config.SMSRU_FROM, test: config.SMSRU_TEST })
        : new ConsoleSmsProvider(this.log.child({ component: 'sms' }));
    const wallet = new WalletService({ db: this.db, audit, tenants, programs, cards, guests, secrets: this.secrets, hubSecret: opts.hubSecret, config, log: this.log.child({ component: 'wallet' }), kick, sms });
    guests.segments = { sources: { cards: (g, f, k) => cards.segmentCondition(g, f, k), walletInstalled: (c, k) => wallet.installedCondition(c, k) }, timeZone: async (ctx) => (await tenants.getBusiness(ctx)).timezone };
    const engagement = new EngagementService({ db: this.db, audit, tenants, programs, guests, cards, ledger, wallet, sms, hubSecret: opts.hubSecret, publicUrl: config.publicUrl, log: this.log.child({ component: 'engagement' }), kick });
    // Erasure reaches the SMS codes and the outbox in the erase transaction (the webhooks connector reacts to guest.erased).
    guests.erasers.push((ctx, tx, g) => engagement.redactGuest(ctx, tx, g), (ctx, tx, g) => redactGuestInOutbox(tx, ctx.businessId, g));
    void wallet.subscribe(this.bus).catch((e) => this.log.error({ err: e }, 'wallet consumer did not subscribe'));
    const analytics = new AnalyticsService({ db: this.db, tenants, guests, log: this.log.child({ component: 'analytics' }) });
    guests.segments.rfm = (ctx) => analytics.rfmCondition(ctx);
    void analytics.subscribe(this.bus).catch((e) => this.log.error({ err: e }, 'analytics consumer did not subscribe'));
    this.services = { audit, tenants, programs, guests, imports, ledger, cards, checkout, integrations: integrations.service, wallet, engagement, analytics,
      utm: new UtmService({ db: this.db, audit, guests, engagement, publicUrl: config.publicUrl }),
      reviews: new ReviewsService({ db: this.db, audit, tenants, programs, wallet, publicUrl: config.publicUrl }),
    };
    this.commands = new CommandRouter({ checkout, cards, guests, tenants, installations: integrations.service, log: this.log.child({ component: 'commands' }) });
    // Connectors in this process (inbound calls, handlers) are answered here without a broker hop.
    this.connectors.serveLocally(this.commands.handle);
    // Each module registers its own periodic work; per-business jobs read their times in the business's zone.
    this.scheduler = new Scheduler({ db: this.db, log: this.log.child({ component: 'jobs' }), clock: opts.clock, businesses: () => tenants.businessZones() });
    registerLedgerJobs(this.scheduler, ledger);
    registerCheckoutJobs(this.scheduler, checkout);
    registerTenantsJobs(this.scheduler, tenants);
    registerImportJobs(this.scheduler, imports);
    registerIntegrationsJobs(this.scheduler, integrations.service, this.db);
    registerEngagementJobs(this.scheduler, engagement);
    registerOutboxJobs(this.scheduler, this.db);
    registerAnalyticsJobs(this.scheduler, analytics);

    const { app, api, finish } = createHttpApp({
      log: this.log,
      tenants,
      publicUrl: config.publicUrl,
      version: VERSION,
      trustProxy: config.TRUST_PROXY,
      metrics: this.metrics,
      metricsAccess: { token: config.METRICS_TOKEN, separate: config.METRICS_PORT !== undefined },
      adminDir: path.resolve(__dirname, '../../admin/dist'),
      health: () => this.health(),
    });
    this.app = app;
    this.api = api;
    tenantsRoutes(api, tenants, { secure: config.secureCookies, ttlHours: config.SESSION_TTL_HOURS });
    auditRoutes(api, audit);
    programsRoutes(api, programs);
    guestsRoutes(api, guests, cards);
    importRoutes(api, imports, () => void imports.work(1_500).catch((e) => this.log.warn({ err: e }, 'import pass failed')));
    cardsRoutes(api, cards, ledger);
    posLookupRoutes(api, cards);
    checkoutRoutes(api, checkout, (req) => tenants.currency(req.ctx), new SalesHistory(this.db, programs));
    scannerRoutes(api, { checkout, cards, tenants, audit, guests });
    summaryRoutes(api, analytics, tenants);
    analyticsRoutes(api, analytics, tenants);
    homeRoutes(api, { analytics, guests, programs, tenants, wallet });
    utmRoutes(api, this.services.utm);
    reviewsRoutes(api, this.services.reviews);
    exportRoutes(api, { guests, checkout, audit, reviews: this.services.reviews, sales: new SalesHistory(this.db, programs) });
    integrationsRoutes(api, integrations.service, integrations.host, audit, config.publicUrl);
    walletRoutes(api, wallet, { passUnavailable: passUnavailablePage });
    engagementRoutes(api, engagement, { badgesDir: path.join(config.dataDir, 'wallet-badges') });
    api.route(
      {
        method: 'get',
        path: '/v1/pos/terminal',
        summary: 'Check a terminal key: the terminal and its business',
        tags: ['POS'],
        auth: 'terminal',
        response: z.object({
          terminalId: z.string(),
          name: z.string().optional(),
          businessId: z.string(),
          businessName: z.string(),
          currency: z.string(),
          locationId: z.string().nullable(),
        }),
      },
      async (req) => {
        const b = await tenants.getBusiness(req.ctx);
        return {
          terminalId: req.ctx.actor.id,
          name: req.ctx.actor.label,
          businessId: b.id,
          businessName: b.name,
          currency: b.currency,
          locationId: req.ctx.actor.locationId ?? null,
        };
      },
    );
    // Liveness (the process answers) apart from readiness (it can serve: database, bus, schema, not draining).
    this.app.get('/livez', (_req, res) => void res.json({ status: 'ok' }));
    this.app.get('/readyz', async (_req, res) => {
      const r = await this.readiness();
      res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not_ready', version: VERSION, ...r.checks });
    });
    finish();
  }

  /**
   * Ready to take traffic: the database and the bus answer, no migration this code needs is
   * missing (checked at most every 5 s), and stop() has not begun.
   */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, unknown> }> {
    const h = await this.health();
    const now = Date.now();
    if (!this.schemaChecked || now - this.schemaChecked.at > 5000) {
      try {
        // Pending migrations fail readiness; a newer schema does not (a rolling upgrade migrates
        // first, and the old hubs keep serving until replaced: migrations are additive).
        const st = await this.db.schemaStatus();
        this.schemaChecked = { at: now, problem: schemaProblem({ pending: st.pending, unknown: [] }) };
      } catch {
        this.schemaChecked = undefined;
      }
    }
    const schema = this.schemaChecked ? { ok: !this.schemaChecked.problem, ...(this.schemaChecked.problem ? { problem: this.schemaChecked.problem } : {}) } : { ok: false };
    return { ready: h.ok && schema.ok && !this.draining, checks: { ...h.checks, schema, draining: this.draining } };
  }

  async health(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const dbOk = await this.db.ping();
    const bus = this.bus.health();
    return { ok: dbOk && bus.ok, checks: { database: { ok: dbOk, kind: this.db.kind }, bus } };
  }

  /** Starts the bus, the outbox relay and the HTTP listener. */
  async start(port = this.opts.config.PORT, host = this.opts.config.HOST): Promise<number> {
    await this.bus.start();
    // Before connectors start: their first commands (a worker's, an inbound call's) find a server.
    await this.bus.serveCommands(this.commands.handle);
    this.relay.start();
    this.started = true;
    await this.connectors.start();
    if (this.opts.config.JOBS_ENABLED) this.scheduler.start();
    return new Promise((resolve, reject) => {
      const server = this.app.listen(port, host, () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
      server.on('error', reject);
      server.keepAliveTimeout = 65_000;
      // Above keepAliveTimeout: a reused keep-alive socket is never cut by the headers timer while
      // the next request's headers arrive (a reset the client sees as ECONNRESET).
      server.headersTimeout = 66_000;
      this.server = server;
    });
  }

  /**
   * Graceful stop: stop accepting, let in-flight requests finish (a keep-alive socket is closed as
   * soon as its response is out), then the scheduler, connectors, the outbox relay's current batch,
   * the broker and the database.
   */
  async stop(): Promise<void> {
    this.draining = true;
    if (this.server) {
      const s = this.server;
      const closed = new Promise<void>((r) => s.close(() => r()));
      // close() ends idle keep-alive sockets once; sockets whose request was in flight become idle later.
      const idle = setInterval(() => s.closeIdleConnections(), 50);
      await closed;
      clearInterval(idle);
    }
    await this.scheduler.stop();
    await this.connectors.stop();
    await this.relay.stop();
    // No request is in flight any more: publish what they committed (when this instance holds the
    // relay's lease), then hand the lease over at once instead of letting the next hub wait it out.
    if (this.started)
      try {
        await this.relay.runOnce();
        await releaseLease(this.db, 'outbox-relay');
      } catch (e) {
        this.log.warn({ err: e }, 'outbox not drained at stop; the next relay publishes it');
      }
    await this.bus.close();
    await this.services.wallet.close();
    await this.db.close();
  }
}
