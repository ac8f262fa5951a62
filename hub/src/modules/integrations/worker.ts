import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import pino, { type Logger } from 'pino';
import { captureRawBody, ConnectorProblem, handlerContext } from '@loyalty/sdk';
import { loadConfig } from '../../config';
import { Db } from '../../db/db';
import type { Bus } from '../../bus/bus';
import { RabbitBus, type RabbitBusOptions } from '../../bus/rabbit-bus';
import { SecretBox } from '../../shared/crypto';
import { AuditService } from '../audit/audit.service';
import { createIntegrations, loadConnectors, type ConnectorFactory } from './integrations.module';

export interface WorkerOptions {
  /** The connector id: the package `@loyalty/connector-<id>`, or one found in CONNECTOR_PATHS (read from `env`, as the hub does). */
  id: string;
  /** Settings (default process.env): AMQP_URL and HUB_SECRET are required, DATABASE_URL as for the hub, PORT for inbound routes. */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Tests: a namespaced broker, or a ready bus. */
  busOptions?: RabbitBusOptions;
  bus?: Bus;
  /** Tests: a connector that is not a package. */
  connector?: ConnectorFactory;
  host?: string;
}

export interface RunningWorker {
  port: number;
  bus: Bus;
  stop(): Promise<void>;
}

/**
 * `loyalty-connector <id>`: one connector in its own process (production). It consumes the
 * connector's queue `connector.<id>` from RabbitMQ, reads installations and keeps its dedupe,
 * key/value rows and own tables in the hub's database (the hub runs the migrations, the connector's too), runs the connector's
 * background task, and serves its inbound routes at `/connectors/<id>/…` on PORT (plus /healthz).
 * The hub should list the id in CONNECTORS_EXTERNAL so it does not consume for it too.
 */
export async function startConnectorWorker(o: WorkerOptions): Promise<RunningWorker> {
  const env = o.env ?? process.env;
  const config = loadConfig(env);
  const log = o.log ?? pino({ level: config.LOG_LEVEL });
  if (!o.bus && !config.AMQP_URL) throw new Error('AMQP_URL is required: a connector worker consumes from RabbitMQ');
  const secretFile = path.join(config.dataDir, 'hub-secret');
  const hubSecret = config.HUB_SECRET ?? (fs.existsSync(secretFile) ? fs.readFileSync(secretFile, 'utf8').trim() : undefined);
  if (!hubSecret) throw new Error('HUB_SECRET is required (the same as the hub’s): connector settings are encrypted with it');
  const secrets = new SecretBox(hubSecret);
  // The connector first: the database maps its tables.
  const catalog = loadConnectors({ config, secrets, log, only: [o.id], extra: o.connector ? [o.connector] : undefined });
  if (!catalog.defs.has(o.id)) throw new Error(`No connector ${o.id} to run`);
  // The hub owns the schema: a worker never migrates, it only checks that the schema is current
  // (the hub's migrations and the connector's, which the hub runs when CONNECTORS lists it).
  const db = await Db.open(
    {
      url: config.DATABASE_URL,
      sqlitePath: path.join(config.dataDir, 'loyalty.sqlite'),
      poolSize: Math.min(config.DATABASE_POOL_SIZE, 10),
      connectors: catalog.storage,
    },
    false,
  );
  let bus: Bus | undefined;
  let server: Server | undefined;
  try {
    const pending = await db.pendingMigrations();
    if (pending.length)
      throw new Error(
        `The database schema is not current (pending: ${pending.join(', ')}): start (or upgrade) the hub first with ${o.id} in CONNECTORS, it runs the migrations`,
      );
    bus = o.bus ?? new RabbitBus(config.AMQP_URL!, log.child({ component: 'bus' }), o.busOptions);
    const { service, host } = createIntegrations({
      db,
      bus,
      log,
      audit: new AuditService(db),
      secrets,
      config,
      only: [o.id],
      catalog,
    });
    const def = service.defs.get(o.id)!;
    await bus.start();
    await host.start();
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => {
      const h = bus!.health();
      res.status(h.ok ? 200 : 503).json({ status: h.ok ? 'ok' : 'degraded', connector: o.id, version: def.manifest.version, bus: h });
    });
    if (def.inbound) {
      const deps = host.deps(def);
      app.use(
        `/connectors/${o.id}`,
        captureRawBody(),
        def.inbound({
          log: deps.log,
          forBusiness: async (b) => {
            const c = await deps.installation(b);
            return c ? handlerContext(def, deps, b, c) : undefined;
          },
        }),
      );
    }
    app.use((_req, res) => void res.status(404).json({ error: 'not_found' }));
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      if (err instanceof ConnectorProblem)
        return void res.status(err.status).type('application/problem+json').json({ status: err.status, code: err.code, title: err.message });
      log.error({ err: (err as Error)?.message }, 'inbound route failed');
      res.status(500).json({ error: 'internal_error' });
    });
    const port = await new Promise<number>((resolve, reject) => {
      server = app.listen(config.PORT, o.host ?? config.HOST, () => {
        const a = server!.address();
        resolve(typeof a === 'object' && a ? a.port : config.PORT);
      });
      server.on('error', reject);
    });
    log.info({ connector: o.id, port, bus: bus.kind }, 'connector worker running');
    const b = bus;
    return {
      port,
      bus: b,
      async stop() {
        if (server) {
          server.closeAllConnections?.();
          await new Promise<void>((r) => server!.close(() => r()));
        }
        await host.stop();
        await b.close();
        await db.close();
      },
    };
  } catch (e) {
    await bus?.close().catch(() => undefined);
    await db.close();
    throw e;
  }
}
