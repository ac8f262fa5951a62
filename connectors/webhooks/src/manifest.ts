import { CONTRACT_VERSION, eventSchemas, type ConnectorManifest, type EventType } from '@loyalty/sdk';

/** Every event of the contract: each endpoint picks its own subset with its event-type filter. */
export const WEBHOOK_EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

export const manifest: ConnectorManifest = {
  id: 'webhooks',
  name: 'Webhooks',
  category: 'webhook',
  version: '1.0.0',
  contractVersion: CONTRACT_VERSION,
  consumes: WEBHOOK_EVENT_TYPES,
  description: 'Sends hub events to your HTTPS endpoints, signed per Standard Webhooks, retried for about three days, with a delivery log and replay.',
};
