import { allowPrivateFrom, defineConnector, type ConnectorDefinition, type ConnectorServices } from '@loyalty/sdk';
import { configSchema, type RkeeperConfig } from './config.schema';
import { manifest } from './manifest';
import { farcardsRouter } from './transport/farcards-http';
import { Rk7Client } from './transport/xml-interface';

export type RkeeperConnector = ConnectorDefinition<typeof configSchema>;

/** The XML-interface client for an installation, or undefined when no `xmlUrl` is set. */
export function xmlClient(config: RkeeperConfig, services: Pick<ConnectorServices, 'settings'>): Rk7Client | undefined {
  if (!config.xmlUrl) return undefined;
  return new Rk7Client({
    url: config.xmlUrl,
    user: config.xmlUser,
    password: config.xmlPassword,
    certSha256: config.xmlCertSha256,
    allowPrivate: allowPrivateFrom(services.settings),
  });
}

/**
 * Builds the r_keeper connector. It consumes no events: r_keeper's FARCARDS calls the inbound
 * router (vendor -> hub), which talks to the hub only through `ctx.hub.request(…)` commands; the
 * connection check reads the open orders through the r_keeper XML interface.
 *
 * Settings: `CONNECTORS_ALLOW_PRIVATE=true` lets the XML-interface client reach the restaurant's
 * LAN (on-premise installs).
 */
export function createConnector(services: ConnectorServices): RkeeperConnector {
  return defineConnector({
    manifest,
    configSchema,
    handlers: {},
    inbound: (ictx) => farcardsRouter(ictx, { now: services.now }),
    check: async (config) => {
      const client = xmlClient(config, services);
      if (!client) return { ok: true, detail: 'FarCards endpoint ready; set xmlUrl to test the r_keeper XML interface too' };
      return client.check();
    },
  });
}
