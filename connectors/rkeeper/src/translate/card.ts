import type { CommandReply } from '@loyalty/sdk';
import type { CardInfo } from './farcards';
import { points, rub } from './messages';

type Lookup = CommandReply<'card.lookup'>;

/** What the r_keeper numbers and limits are for this business (from the connector config). */
export interface CardInfoSettings {
  discountNumber: number;
  discountByLevel: Record<string, number>;
  bonusNumber: number;
  discLimitMinor: number;
  printBalance: boolean;
}

const DWORD = 2n ** 32n;

/**
 * The card as GetCardInfoEx reports it to the till.
 *
 * - `Summa` is the money the card can pay now: the usable points' value for a bonus card (capped by
 *   `payableCapMinor`, the basket's maximum, when the till sent its check), the certificate balance
 *   for a gift card, 0 otherwise.
 * - `Discount` is the r_keeper discount number for the guest's level (or the default), `Bonus` the
 *   bonus number for bonus programs: r_keeper computes the amounts under its own rules.
 * - A blocked card is `Locked` with `WhyLock`; a deleted one `Deleted`; an expired certificate
 *   `StopDate`. `PersonID` is the card number; `Account` (a DWORD) its low 32 bits.
 */
export function cardInfoFromLookup(found: Lookup, s: CardInfoSettings, opts: { now?: Date; payableCapMinor?: number } = {}): CardInfo {
  const { card, guest } = found;
  const now = opts.now ?? new Date();
  const isBonus = card.kind === 'bonus';
  const isGift = card.kind === 'gift';
  const giftExpired = isGift && card.giftExpiresAt !== null && Date.parse(card.giftExpiresAt) <= now.getTime();
  const usable = card.status === 'active' && !giftExpired;
  let summa = 0;
  const pointValue = found.pointValueMinor ?? card.pointValueMinor ?? 0;
  if (usable && isBonus) summa = found.maxRedeemValueMinor ?? card.maxRedeemValueMinor ?? card.pointsAvailable * pointValue;
  if (usable && isGift) summa = card.giftBalanceMinor;
  if (opts.payableCapMinor !== undefined) summa = Math.max(0, Math.min(summa, opts.payableCapMinor));

  const lines: string[] = [];
  if (isBonus) {
    lines.push(`Баланс: ${points(card.pointsAvailable)}`);
    if (summa > 0) lines.push(`можно оплатить ${rub(summa)}`);
    if (card.pointsHeld > 0) lines.push(`в резерве ${points(card.pointsHeld)}`);
  } else if (isGift) {
    lines.push(`Сертификат: ${rub(card.giftBalanceMinor)}`);
    if (card.giftExpiresAt) lines.push(`${giftExpired ? 'истёк' : 'до'} ${card.giftExpiresAt.slice(0, 10).split('-').reverse().join('.')}`);
  } else if (card.kind === 'stamp') {
    lines.push(`Штампы: ${card.stamps}${card.stampsGoal ? ` из ${card.stampsGoal}` : ''}`);
  }
  if (card.levelName) lines.push(`уровень ${card.levelName}`);
  const scr = lines.join(', ');

  let whyLock = '';
  if (card.status === 'blocked') whyLock = 'Карта заблокирована в программе лояльности';
  else if (card.status === 'deleted') whyLock = 'Карта удалена в программе лояльности';
  else if (giftExpired) whyLock = 'Срок действия сертификата истёк';

  const number = BigInt(card.number);
  const holder = guest?.name?.trim() || (isGift ? 'Сертификат' : 'Гость');
  return {
    deleted: card.status === 'deleted',
    seize: false,
    stopDate: giftExpired,
    holy: false,
    manager: false,
    locked: card.status === 'blocked',
    whyLock,
    holder,
    personId: number.toString(),
    account: (number % DWORD).toString(),
    unpay: 0,
    bonus: isBonus ? s.bonusNumber : 0,
    discount: usable ? ((card.levelCode ? s.discountByLevel[card.levelCode] : undefined) ?? s.discountNumber) : 0,
    discLimit: s.discLimitMinor,
    summa,
    dopInfo: [card.programName, card.levelName].filter(Boolean).join(' · '),
    scrMessage: whyLock || scr,
    prnMessage: s.printBalance && !whyLock ? scr : '',
  };
}
