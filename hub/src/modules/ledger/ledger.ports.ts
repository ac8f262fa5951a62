/*
 * What the ledger needs of the card row it keeps balances on. The ledger sits below the cards
 * module: it never imports the Card entity; hub.ts hands it the entity (LedgerService<Card>), so
 * the card's own type flows through `lockCard` to the callers above.
 */

/** The card columns the ledger reads and keeps equal to the sum of its entries (the cards module's Card satisfies it). */
export interface LedgerCard {
  id: string;
  businessId: string;
  guestId: string | null;
  pointsBalance: number;
  pointsHeld: number;
  giftBalanceMinor: number;
  stamps: number;
  levelCode: string | null;
  spendMinor: number;
  visits: number;
  lastOperationAt: Date | null;
}
