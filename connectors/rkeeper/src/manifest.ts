import { CONTRACT_VERSION, type ConnectorManifest } from '@loyalty/sdk';

export const manifest: ConnectorManifest = {
  id: 'rkeeper',
  name: 'r_keeper 7',
  category: 'pos',
  version: '1.0.0',
  contractVersion: CONTRACT_VERSION,
  consumes: [],
  sends: ['card.lookup', 'checkout.quote', 'checkout.commit', 'checkout.get', 'checkout.capture', 'checkout.cancel', 'checkout.refund', 'checkout.refund_void'],
  inbound: [
    {
      method: 'post',
      path: '/:businessId/farcards',
      summary: 'r_keeper FARCARDS over HTTP (GetCardInfoEx, TransactionsEx, FindAccountsByKind as XML); append ?k=<farcardsKey>',
    },
    {
      method: 'post',
      path: '/:businessId/farcards/:fn',
      summary: 'The same with the function in the path (getcardinfoex, transactionsex, findaccountsbykind; .php accepted); append ?k=<farcardsKey>',
    },
  ],
  description:
    "Applies loyalty cards at r_keeper 7 tills: r_keeper's FARCARDS module calls the hub (card lookup, QR codes, all-or-nothing transaction batches for sales, rollbacks and returns); reads orders through the r_keeper XML interface.",
};
