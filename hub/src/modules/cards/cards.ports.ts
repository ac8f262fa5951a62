import type { EntityManager } from 'typeorm';
import type { Ctx } from '../../shared/context';

/*
 * Ports of the cards module: what it asks of modules above it (guests), as interfaces it defines
 * and hub.ts wires. Lower modules never import upper ones (see README, "Architecture").
 */

/** The guest holding a card, as the cards module reads it (the guests module's Guest satisfies it). */
export interface CardHolder {
  id: string;
  phone: string | null;
  status: string;
}

/** What cards ask of the guests module: find the holder, check the blacklist, show the holder. */
export interface CardHoldersPort {
  findByPhone(ctx: Ctx, phone: string): Promise<CardHolder | null>;
  get(ctx: Ctx, id: string, tx?: EntityManager): Promise<CardHolder>;
  isBlacklisted(tx: EntityManager, businessId: string, phone: string): Promise<boolean>;
  /** The holder as the API shows a guest (`guestView`). */
  view(guest: CardHolder): Record<string, unknown>;
  /** Names and phones of several holders at once (a page of the card list). */
  contacts(ctx: Ctx, ids: string[]): Promise<HolderContact[]>;
}

/** Who holds a card, as the card list shows it. */
export interface HolderContact {
  id: string;
  name: string | null;
  phone: string | null;
  status: string;
}
