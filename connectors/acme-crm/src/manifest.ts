import { CONTRACT_VERSION, type ConnectorManifest } from '@loyalty/sdk';

export const manifest: ConnectorManifest = {
  id: 'acme-crm',
  name: 'Acme CRM',
  category: 'crm',
  version: '1.1.0',
  contractVersion: CONTRACT_VERSION,
  consumes: ['guest.registered', 'guest.updated', 'checkout.committed'],
  sends: ['guest.upsert', 'card.lookup', 'checkout.quote', 'checkout.commit', 'checkout.refund'],
  description: 'Keeps Acme contacts and deals in step with guests and sales; paid and refunded Acme orders award and take back points.',
};
