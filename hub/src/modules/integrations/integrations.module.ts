import type { Logger } from 'pino';
import { allowPrivateFrom, loadConnector, scopedStore, type ConnectorDefinition, type ConnectorServices, type ConnectorStore } from '@loyalty/sdk';
import type { Bus } from '../../bus/bus';
import type { Config } from '../../config';
import type { Db } from '../../db/db';
import type { ConnectorStorageSpec } from '../../db/connector-migrations';
import type { SecretBox } from '../../shared/crypto';
import type { AuditService } from '../audit/audit.service';
import { connectorResolver, findConnectorPackages } from './connector-paths';
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
  config: Pick<Config, 'CONNECTORS' | 'CONNECTORS_EXTERNAL' | 'WEBHOOKS_ALLOW_PRIVATE'> & Partial<Pick<Config, 'CONNECTORS_ALLOW_PRIVATE' | 'publicUrl' | 'TRUST_PROXY' | 'CONNECTOR_PATHS'>>;
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

/** What loading the connectors needs: no database (it opens after, with the connectors' tables). */
export interface LoadConnectorsOptions {
  config: IntegrationsDeps['config'];
  secrets: SecretBox;
  log: Logger;
  extra?: ConnectorFactory[];
  only?: string[];
  now?: () => Date;
}

/**
 * The loaded connectors. Loaded before the database opens, so that their tables are mapped beside
 * the hub's and their migrations run with the hub's (`Db.open({ connectors: catalog.storage })`).
 */
export interface ConnectorCatalog {
  defs: Map<string, ConnectorDefinition>;
  /** The tables of the loaded connectors that declare `storage`, for `Db.open`. */
  storage: ConnectorStorageSpec[];
  /** The host services a connector was built with (its store scoped to its own tables). */
  services(id: string): ConnectorServices;
  /** Points each connector's store at the opened database, which must map the connectors' tables. */
  bind(db: Db): void;
}

/** A store that works once the catalog is bound to the opened database. */
function lazyStore(slot: { id?: string; store?: ConnectorStore }): ConnectorStore {
  const ready = () => {
    if (slot.store) return slot.store;
    throw new Error(`Connector ${slot.id ?? '?'}: the store serves the tables declared in storage, once the hub's database is open`);
  };
  return { repository: (e) => ready().repository(e), transaction: (fn) => ready().transaction(fn) };
}

/** Builds the connector definitions (the packages named in CONNECTORS, or `only`, plus `extra`). */
export function loadConnectors(o: LoadConnectorsOptions): ConnectorCatalog {
  const log = o.log.child({ component: 'connectors' });
  const base: ConnectorServices = {
    secrets: { seal: (s) => o.secrets.seal(s), open: (s) => o.secrets.open(s) },
    // PUBLIC_URL builds the URLs a vendor calls back; TRUST_PROXY (hops) reads a caller's address behind a load balancer.
    settings: {
      WEBHOOKS_ALLOW_PRIVATE: String(o.config.WEBHOOKS_ALLOW_PRIVATE),
      CONNECTORS_ALLOW_PRIVATE: String(!!o.config.CONNECTORS_ALLOW_PRIVATE),
      PUBLIC_URL: o.config.publicUrl,
      TRUST_PROXY: String(o.config.TRUST_PROXY ?? 0),
    },
    now: o.now ?? (() => new Date()),
    log: connectorLogger(log),
  };
  const loaded = new Map<string, { def: ConnectorDefinition; services: ConnectorServices; slot: { id?: string; store?: ConnectorStore } }>();
  const build = (make: (s: ConnectorServices) => ConnectorDefinition) => {
    const slot: { id?: string; store?: ConnectorStore } = {};
    const services: ConnectorServices = { ...base, store: lazyStore(slot) };
    const def = make(services);
    slot.id = def.manifest.id;
    return { def, services, slot };
  };
  for (const f of o.extra ?? []) {
    const c = build(f);
    if (!o.only || o.only.includes(c.def.manifest.id)) loaded.set(c.def.manifest.id, c);
  }
  // Packages outside the repository (CONNECTOR_PATHS) load besides CONNECTORS, found by their id.
  const outside = findConnectorPackages(o.config.CONNECTOR_PATHS);
  const resolve = connectorResolver(outside);
  for (const id of o.only ?? [...new Set([...ids(o.config.CONNECTORS), ...outside.keys()])])
    if (!loaded.has(id)) loaded.set(id, build((s) => loadConnector(id, s, resolve)));
  const withStorage = [...loaded.values()].filter((c) => c.def.storage);
  return {
    defs: new Map([...loaded].map(([id, c]) => [id, c.def])),
    storage: withStorage.map((c) => ({ id: c.def.manifest.id, entities: c.def.storage!.entities, migrations: c.def.storage!.migrations })),
    services: (id) => loaded.get(id)?.services ?? base,
    bind(db) {
      for (const c of withStorage) {
        const id = c.def.manifest.id;
        if (!db.hasStorage(id)) throw new Error(`Connector ${id} keeps its own tables: open the database with them (Db.open({ connectors: catalog.storage }))`);
        c.slot.store = scopedStore(id, c.def.storage!.entities, {
          getRepository: (e) => db.manager.getRepository(e),
          transaction: (fn) => db.transaction((em) => fn(em)),
        });
      }
    },
  };
}

/**
 * The service and the in-process runtime over the loaded connectors (loaded here unless a
 * `catalog` was loaded before the database opened).
 */
export function createIntegrations(
  d: IntegrationsDeps & { catalog?: ConnectorCatalog },
): { service: IntegrationsService; host: ConnectorHost; services: ConnectorServices; catalog: ConnectorCatalog } {
  const log = d.log.child({ component: 'connectors' });
  const catalog = d.catalog ?? loadConnectors(d);
  catalog.bind(d.db);
  const defs = catalog.defs;
  const services = catalog.services('');
  const external = new Set(ids(d.config.CONNECTORS_EXTERNAL));
  const runsHere = d.only ? (id: string) => d.only!.includes(id) : (id: string) => !external.has(id);
  const service = new IntegrationsService(d.db, d.audit, d.secrets, d.bus, defs, log, (id) => !runsHere(id), allowPrivateFrom(services.settings));
  const host = new ConnectorHost({ db: d.db, bus: d.bus, log, integrations: service, services, servicesOf: (id) => catalog.services(id), runsHere });
  return { service, host, services, catalog };
}
