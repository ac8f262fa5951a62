import type { CommandReply, ConnectorLogger, HubClient, KeyValueStore } from '@loyalty/sdk';
import type { RkeeperConfig } from './config.schema';
import { basketFromCheck, planBatch, resolveTill, type BatchPlan } from './translate/batch';
import { cardInfoFromLookup } from './translate/card';
import {
  cardInfoXml,
  cardNotFoundXml,
  findAccountsXml,
  transactionsXml,
  type CardInfoRequest,
  type FarCardsRequest,
  type FindAccountsRequest,
  type TransactionsRequest,
} from './translate/farcards';
import { fromHubError, NOTES, refusal, rub, type Refusal } from './translate/messages';

/** What answering FARCARDS needs: the hub (commands), the connector's store for this business, its config. */
export interface FarCardsDeps {
  hub: HubClient;
  store: KeyValueStore;
  config: RkeeperConfig;
  log: ConnectorLogger;
  now?: () => Date;
}

/** A hub refusal as the SDK delivers it (CommandError, duck-typed so copies of the SDK still match). */
interface HubFailure {
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
  message?: string;
}
const failure = (e: unknown): HubFailure => (typeof e === 'object' && e !== null ? (e as HubFailure) : { message: String(e) });

/** Thrown inside a batch to answer Result 1 with this refusal. */
class Refused extends Error {
  constructor(
    readonly refusal: Refusal,
    /** The hub's refusal behind it, for the log. */
    readonly hub?: HubFailure,
  ) {
    super(refusal.text);
  }
}
const refuseFrom = (e: unknown): never => {
  if (e instanceof Refused) throw e;
  const f = failure(e);
  throw new Refused(fromHubError(f.code, f.status), { code: f.code, status: f.status, details: f.details, message: f.message });
};

type Lookup = CommandReply<'card.lookup'>;
type Checkout = CommandReply<'checkout.commit'>;

/** What the store keeps per recorded sale or return (to reverse it later). */
interface Recorded {
  checkoutId: string;
  refundId?: string;
  /** The sale was counted by another path (receipt already recorded). */
  foreign?: boolean;
}

/** Answers one parsed FarCards request with the XML FARCARDS expects. Never throws. */
export async function answerFarCards(d: FarCardsDeps, req: FarCardsRequest): Promise<string> {
  switch (req.fn) {
    case 'GetCardInfoEx':
      return answerCardInfo(d, req);
    case 'TransactionsEx':
      return answerTransactions(d, req);
    case 'FindAccountsByKind':
      return answerFindAccounts(d, req);
  }
}

// ------------------------------------------------------------------ GetCardInfoEx

async function lookupCard(d: FarCardsDeps, number: string): Promise<Lookup | Refusal> {
  // The hub's card numbers have 8 or more digits; a shorter Int64 cannot be one of ours.
  if (number.length < 6 || number.length > 24) return refusal('card_not_found');
  try {
    return await d.hub.request('card.lookup', { number });
  } catch (e) {
    const f = failure(e);
    if (f.status === 404 || f.status === 400) return refusal('card_not_found');
    d.log.warn({ code: f.code, status: f.status }, 'rkeeper: card lookup failed');
    return fromHubError(f.code, f.status);
  }
}

async function answerCardInfo(d: FarCardsDeps, req: CardInfoRequest): Promise<string> {
  const found = await lookupCard(d, req.card);
  if ('errorCode' in found) return cardNotFoundXml(found.text);
  let payableCapMinor: number | undefined;
  // On the payment screen the till sends its check: cap Summa at what this basket may be paid by points.
  if (req.check?.chmode === 7 && req.check.lines.length && found.card.kind === 'bonus' && found.card.status === 'active') {
    const items = basketFromCheck(req.check, d.config.checkMoney);
    if (Array.isArray(items)) {
      try {
        const q = await d.hub.request('checkout.quote', { card: { number: req.card }, basket: { items }, redeemPoints: 'max' });
        payableCapMinor = q.maxRedeemValueMinor ?? q.redeemValueMinor;
      } catch (e) {
        d.log.warn({ code: failure(e).code }, 'rkeeper: quote for the payment screen failed; the card balance is shown instead');
      }
    }
  }
  return cardInfoXml(cardInfoFromLookup(found, d.config, { now: d.now?.(), payableCapMinor }));
}

// ------------------------------------------------------------------ FindAccountsByKind

async function answerFindAccounts(d: FarCardsDeps, req: FindAccountsRequest): Promise<string> {
  if (req.kind !== 3) return findAccountsXml({ error: 'Поиск по этому виду кода не поддерживается: используйте QR-код карты' });
  try {
    const { card, guest } = await d.hub.request('card.lookup', { qr: req.code });
    const number = BigInt(card.number);
    return findAccountsXml({ account: (number % 2n ** 32n).toString(), cardCode: number.toString(), name: guest?.name?.trim() || 'Гость' });
  } catch (e) {
    const f = failure(e);
    const r = f.status === 404 || f.status === 400 ? refusal('card_not_found') : fromHubError(f.code, f.status);
    return findAccountsXml({ error: r.text });
  }
}

// ------------------------------------------------------------------ TransactionsEx

const refusedXml = (r: Refusal) => transactionsXml(1, { errorCode: r.errorCode, errText: r.text, transactions: [] });

async function answerTransactions(d: FarCardsDeps, req: TransactionsRequest): Promise<string> {
  const plan = planBatch(req, { checkMoney: d.config.checkMoney });
  if (!plan.ok) return refusedXml(plan.refusal);
  // A pre-check and the like carry no effect; FARCARDS still wants an ext_id per transaction.
  if (plan.op === 'ignore')
    return transactionsXml(0, {
      errorCode: 0,
      transactions: req.transactions.map((t) => ({ num: t.num, cardcode: t.card, extId: `rk7:chmode-${plan.chmode}` })),
    });
  try {
    const r = await RUNNERS[plan.op](d, plan, req);
    d.log.info({ op: plan.op, key: plan.key, checkoutId: r.extId }, 'rkeeper: batch applied');
    return transactionsXml(0, {
      errorCode: 0,
      errText: r.note,
      transactions: plan.transactions.map((t) => ({
        num: t.num,
        cardcode: t.card,
        extId: r.extId,
        ...(r.values?.[t.num] !== undefined ? { value: r.values[t.num] } : {}),
      })),
    });
  } catch (e) {
    const r = e instanceof Refused ? e.refusal : refusal('internal');
    if (!(e instanceof Refused)) d.log.error({ err: (e as Error)?.message, op: plan.op }, 'rkeeper: batch failed unexpectedly');
    else d.log.info({ op: plan.op, key: plan.key, code: r.code, hub: e.hub }, 'rkeeper: batch refused');
    return refusedXml(r);
  }
}

interface Applied {
  extId: string;
  note?: string;
  /** TRRESPONSE `value` per transaction num. */
  values?: Record<number, number>;
}

type Runner = (d: FarCardsDeps, plan: BatchPlan, req: TransactionsRequest) => Promise<Applied>;

async function remember(d: FarCardsDeps, keys: string[], value: Recorded): Promise<void> {
  for (const k of keys) await d.store.set(k, value);
}

async function recall(d: FarCardsDeps, keys: string[]): Promise<Recorded | undefined> {
  for (const k of keys) {
    const v = await d.store.get<Recorded>(k);
    if (v) return v;
  }
  return undefined;
}

/**
 * chmode 1. Holds first (the hub checks the card, the points and the basket and reserves what the
 * guest pays with, all in one transaction), compares what the hub took with what r_keeper booked,
 * then captures. A refusal at any step leaves nothing applied: a hold that does not match is
 * canceled at once, and a hold whose capture could not be sent expires on its own; the till's retry
 * of the same batch replays the same hold (same idempotency key) and captures it.
 */
const sale: Runner = async (d, plan, req) => {
  const till = resolveTill(d.config.tills, { restaurant: plan.identity.restaurant, unit: plan.identity.unit, station: req.check?.stationCode });
  if (!till) throw new Refused(refusal('till_not_configured', `ресторан ${plan.identity.restaurant ?? '?'}, касса ${plan.identity.unit ?? '?'}`));
  const found = await lookupCard(d, plan.card);
  if ('errorCode' in found) throw new Refused(found);
  const { card } = found;
  if (card.status === 'blocked') throw new Refused(refusal('card_blocked'));
  if (card.status === 'deleted') throw new Refused(refusal('card_deleted'));
  const pay = plan.totals.payment;
  if (pay > 0 && card.kind !== 'bonus' && card.kind !== 'gift') throw new Refused(refusal('payment_not_supported'));
  // After a rollback the till closes the same check again: that is a new sale, not a retry.
  const gen = await generation(d, 'sale', plan.checkKey);
  const receipt =
    plan.identity.check && plan.identity.date
      ? { number: gen ? `${plan.identity.check}/${gen + 1}` : plan.identity.check, date: plan.identity.date, till: till.till }
      : undefined;
  let co: Checkout;
  try {
    co = await d.hub.request('checkout.commit', {
      idempotencyKey: gen ? `${plan.key}:${gen + 1}` : plan.key,
      card: { number: plan.card },
      basket: plan.basket,
      ...(pay > 0 ? (card.kind === 'bonus' ? { redeemValueMinor: pay } : { giftAmountMinor: pay }) : {}),
      ...(receipt ? { receipt } : {}),
      locationId: till.locationId,
      mode: 'hold',
    });
  } catch (e) {
    const f = failure(e);
    if (f.code === 'receipt_already_recorded' && typeof f.details?.checkoutId === 'string') {
      // The same receipt arrived by another path first: it is counted; this is not an error.
      await remember(d, plan.index, { checkoutId: f.details.checkoutId, foreign: true });
      return { extId: f.details.checkoutId, note: NOTES.alreadyCounted };
    }
    return refuseFrom(e);
  }
  if (co.status === 'canceled') throw new Refused(refusal('hold_expired'));
  const took = card.kind === 'gift' ? co.giftSpentMinor : co.redeemValueMinor;
  if (took !== pay) {
    if (co.status === 'held') {
      await d.hub.request('checkout.cancel', { checkoutId: co.id, reason: 'r_keeper booked another payment amount' }).catch((e) => {
        d.log.warn({ code: failure(e).code, checkoutId: co.id }, 'rkeeper: could not cancel a mismatched hold; it will expire');
      });
    }
    throw new Refused(refusal('payment_mismatch', `r_keeper ${rub(pay)}, доступно ${rub(took)}`));
  }
  await remember(d, plan.index, { checkoutId: co.id });
  if (co.status === 'held') {
    try {
      co = await d.hub.request('checkout.capture', { checkoutId: co.id });
    } catch (e) {
      return refuseFrom(e);
    }
  }
  const values: Record<number, number> = {};
  // r_keeper's own bonus figure (Kind 2) is replaced by what the hub accrued, in money — when the
  // point's value is known (from the card, or from what this sale's points were worth).
  const pointValue = found.pointValueMinor ?? card.pointValueMinor ?? (co.pointsRedeemed > 0 ? co.redeemValueMinor / co.pointsRedeemed : undefined);
  if (pointValue !== undefined) {
    const accruedMinor = Math.round(co.pointsAccrued * pointValue);
    plan.transactions.filter((t) => t.kind === 2).forEach((t, i) => (values[t.num] = i === 0 ? accruedMinor : 0));
  }
  return { extId: co.id, values };
};

/** How many sales (or returns) of this check were rolled back: the next one is a new effect. */
async function generation(d: FarCardsDeps, kind: 'sale' | 'return', checkKey: string): Promise<number> {
  return (await d.store.get<number>(`gen:${kind}:${checkKey}`)) ?? 0;
}

/** Counts a rollback once, however often the till repeats it. */
async function rolledBack(d: FarCardsDeps, kind: 'sale' | 'return', checkKey: string, id: string): Promise<void> {
  if (await d.store.get(`rolled:${id}`)) return;
  await d.store.set(`rolled:${id}`, true);
  await d.store.set(`gen:${kind}:${checkKey}`, (await generation(d, kind, checkKey)) + 1);
}

/** chmode 2: the till failed after we confirmed. A hold still open is canceled; a captured sale is refunded whole. */
const rollback: Runner = async (d, plan) => {
  const rec = await recall(d, plan.lookup);
  if (!rec) return { extId: plan.key, note: NOTES.saleUnknownForReturn };
  try {
    const co = await d.hub.request('checkout.get', { checkoutId: rec.checkoutId });
    let extId = co.id;
    if (co.status === 'held') extId = (await d.hub.request('checkout.cancel', { checkoutId: co.id, reason: 'r_keeper sale rollback' })).id;
    else if (co.status === 'committed') {
      // Keyed by the sale it reverses: a repeated rollback replays it, the next sale's rollback is its own.
      extId = (
        await d.hub.request('checkout.refund', { checkoutId: co.id, idempotencyKey: `rk7:rollback:${co.id}`, full: true, reason: 'r_keeper sale rollback' })
      ).id;
    }
    await rolledBack(d, 'sale', plan.checkKey, co.id);
    return { extId };
  } catch (e) {
    return refuseFrom(e);
  }
};

/** chmode 3: a return: the whole sale when the returned lines reach its total, else that part of it. */
const giveBack: Runner = async (d, plan) => {
  const rec = await recall(d, plan.lookup);
  if (!rec) return { extId: plan.key, note: NOTES.saleUnknownForReturn };
  try {
    const co = await d.hub.request('checkout.get', { checkoutId: rec.checkoutId });
    if (co.status === 'held') return { extId: (await d.hub.request('checkout.cancel', { checkoutId: co.id, reason: 'r_keeper return' })).id };
    if (co.status === 'canceled') throw new Refused(refusal('not_refundable'));
    const whole = plan.amountMinor >= co.totalMinor;
    const gen = await generation(d, 'return', plan.checkKey);
    const refund = await d.hub.request('checkout.refund', {
      checkoutId: co.id,
      idempotencyKey: gen ? `${plan.key}:${gen + 1}` : plan.key,
      ...(whole ? { full: true } : { amountMinor: plan.amountMinor }),
      reason: 'r_keeper return',
    });
    await remember(d, plan.index, { checkoutId: co.id, refundId: refund.id });
    return { extId: refund.id };
  } catch (e) {
    return refuseFrom(e);
  }
};

/** chmode 4: the return is rolled back: its refund is voided exactly, or refused with the reason. */
const returnRollback: Runner = async (d, plan) => {
  const rec = await recall(d, plan.lookup);
  if (!rec?.refundId) return { extId: plan.key, note: NOTES.returnUnknownForRollback };
  try {
    const r = await d.hub.request('checkout.refund_void', {
      checkoutId: rec.checkoutId,
      refundId: rec.refundId,
      idempotencyKey: `rk7:return_rollback:${rec.refundId}`,
    });
    await rolledBack(d, 'return', plan.checkKey, rec.refundId);
    return { extId: r.id };
  } catch (e) {
    return refuseFrom(e);
  }
};

const RUNNERS: Record<BatchPlan['op'], Runner> = { sale, rollback, return: giveBack, return_rollback: returnRollback };
