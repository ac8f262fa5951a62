import type { EntityManager } from 'typeorm';
import { EntryKind, EntryUnit, LedgerEntry, PointLot } from './ledger.entity';

/** An imported card's opening balance, as the import reads it from its file. */
export interface OpeningEntry {
  cardId: string;
  kind: EntryKind;
  unit: EntryUnit;
  amount: number;
}

/**
 * Opening balances of imported cards: the ledger's first entries (and a point lot for points),
 * built in memory for a whole batch and inserted in bulk after the batch's cards.
 */
export class OpeningBalancesService {
  /** A new batch: entries and lots are added as the import walks its rows, then inserted at once. */
  batch(tx: EntityManager, businessId: string, actorId: string): OpeningBatch {
    return new OpeningBatch(tx, businessId, actorId);
  }
}

export class OpeningBatch {
  readonly entries: LedgerEntry[] = [];
  private readonly lots: PointLot[] = [];

  constructor(
    private readonly tx: EntityManager,
    private readonly businessId: string,
    private readonly actorId: string,
  ) {}

  /** The card's first entry of this unit (balance after = the amount); points also open a lot usable from `lot.availableAt`. */
  add(e: OpeningEntry, lot?: { availableAt: Date; expiresAt: Date | null }): LedgerEntry {
    const entry = this.tx.getRepository(LedgerEntry).create({
      businessId: this.businessId,
      cardId: e.cardId,
      kind: e.kind,
      unit: e.unit,
      amount: e.amount,
      balanceAfter: e.amount,
      checkoutId: null,
      refundId: null,
      linkedEntryId: null,
      reason: 'import: opening balance',
      actorType: 'system',
      actorId: this.actorId,
    });
    this.entries.push(entry);
    if (lot) this.lots.push(this.tx.getRepository(PointLot).create({ businessId: this.businessId, cardId: e.cardId, entryId: entry.id, points: e.amount, remaining: e.amount, availableAt: lot.availableAt, expiresAt: lot.expiresAt }));
    return entry;
  }

  /** Inserts the entries, then the lots, 250 rows a statement. */
  async insert(): Promise<void> {
    for (const [repo, list] of [
      [this.tx.getRepository(LedgerEntry), this.entries],
      [this.tx.getRepository(PointLot), this.lots],
    ] as const) {
      for (let i = 0; i < list.length; i += 250) await (repo as { insert: (x: unknown) => Promise<unknown> }).insert(list.slice(i, i + 250));
    }
  }
}
