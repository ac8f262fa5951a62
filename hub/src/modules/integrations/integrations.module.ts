import type { Logger } from 'pino';
import { loadConnector, type ConnectorDefinition, type ConnectorServices } from '@loyalty/sdk';
import type { Bus } from '../../bus/bus';
import type { Config } from '../../config';
import type { Db } from '../../db/db';
import type { SecretBox } from '../../shared/crypto';
import type { AuditService } from '../audit/audit.service';
import { ConnectorHost, connectorLogger } from './integrations.runtime';
import { IntegrationsService } from './integrations.service';

/** Builds a connector from host services (a package's `createConnector`, or a test's definition). */
export type ConnectorFactory = (services: ConnectorServices) => ConnectorDefinition<any>;

export interface IntegrationsDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  audit: AuditService;
  secrets: SecretBox;
  config: Pick<Config, 'CONNECTORS' | 'CONNECTORS_EXTERNAL' | 'WEBHOOKS_ALLOW_PRIVATE'> & Partial<Pick<Config, 'CONNECTORS_ALLOW_PRIVATE'>>;
  /** Extra connectors besides the packages named in CONNECTORS (tests, plugins). */
  extra?: ConnectorFactory[];
  /** Only these connector ids (the worker runs one). */
  only?: string[];
  /** The clock handed to connectors (tests inject a fake one). */
  now?: () => Date;
}

const ids = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The registry of connector definitions (the catalog), the service and the in-process runtime. */
export function createIntegrations(d: IntegrationsDeps): { service: IntegrationsService; host: ConnectorHost; services: ConnectorServices } {
  const log = d.log.child({ component: 'connectors' });
  const services: ConnectorServices = {
    dataSource: d.db.ds,
    transaction: (fn) => d.db.transaction(fn),
    secrets: { seal: (s) => d.secrets.seal(s), open: (s) => d.secrets.open(s) },
    settings: { WEBHOOKS_ALLOW_PRIVATE: String(d.config.WEBHOOKS_ALLOW_PRIVATE), CONNECTORS_ALLOW_PRIVATE: String(!!d.config.CONNECTORS_ALLOW_PRIVATE) },
    now: d.now ?? (() => new Date()),
    log: connectorLogger(log),
  };
  const wanted = d.only ?? ids(d.config.CONNECTORS);
  const defs = new Map<string, ConnectorDefinition>();
  for (const f of d.extra ?? []) {
    const def = f(services);
    if (!d.only || d.only.includes(def.manifest.id)) defs.set(def.manifest.id, def);
  }
  for (const id of wanted) if (!defs.has(id)) defs.set(id, loadConnector(id, services));
  const external = new Set(ids(d.config.CONNECTORS_EXTERNAL));
  const runsHere = d.only ? (id: string) => d.only!.includes(id) : (id: string) => !external.has(id);
  const service = new IntegrationsService(d.db, d.audit, d.secrets, d.bus, defs, log, (id) => !runsHere(id));
  const host = new ConnectorHost({ db: d.db, bus: d.bus, log, integrations: service, services, runsHere });
  return { service, host, services };
}
