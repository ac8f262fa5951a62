import dayjs from 'dayjs';
import { minorToInput, parseMoney } from '../app/money';
import type { Level, LevelPolicy, Program, ProgramKind } from '../app/types';

/*
 * The program form mirrors the hub's body (`rules.*`, `levels[i].*`, `levelPolicy.*`) so the hub's
 * field errors land on the right inputs; only money (a string typed in roubles, kept in minor
 * units) and the level window differ, and are converted here.
 */

type Json = Record<string, unknown>;
export type Range = [dayjs.Dayjs | null, dayjs.Dayjs | null] | null;

export interface ProgramFormValues {
  name: string;
  active: boolean;
  rules: Json;
  levels: (Omit<Level, 'threshold'> & { threshold: string | number })[];
  levelPolicy: { metric: 'spend' | 'visits'; windowKind: 'all_time' | 'days'; window?: { days?: number }; downgrade: 'never' | 'periodic' };
  welcomeBonusPoints: number;
  referral: { enabled: boolean; referrerPoints: number; refereePoints: number };
  validity?: Range;
}

const money = (v: unknown, digits: number) => minorToInput(typeof v === 'number' ? v : 0, digits);
const toMinor = (v: unknown, digits: number): number | undefined => {
  if (typeof v === 'number') return Math.round(v * 10 ** digits);
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  return parseMoney(v, digits) ?? NaN;
};
const nullable = (v: unknown) => (v === undefined || v === null || v === '' ? null : Number(v));

export function defaultRules(kind: ProgramKind, digits: number): Json {
  switch (kind) {
    case 'bonus':
      return {
        accrualPercent: 5,
        pointValueMinor: money(100, digits),
        maxRedeemPercent: 30,
        minCheckMinor: money(0, digits),
        excluded: { skus: [], categories: [], noEarn: true, noRedeem: true },
        pointsPartEarns: false,
        rounding: 'floor',
        pendingDays: 0,
        expiryDays: null,
      };
    case 'discount':
      return { discountPercent: 5, minCheckMinor: money(0, digits), excluded: { skus: [], categories: [] } };
    case 'gift':
      return { nominalsMinor: [money(100000, digits), money(300000, digits)], partialSpend: true, expiryDays: 365 };
    case 'coupon':
      return {
        discount: { type: 'percent', percent: 10, amountMinor: '', skus: [], qty: 1 },
        usage: 'single',
        maxUses: null,
        perGuestLimit: null,
        minCheckMinor: money(0, digits),
        excluded: { skus: [], categories: [] },
        codeFormat: { prefix: '', length: 8 },
      };
    case 'stamp':
      return {
        earn: { mode: 'per_visit', amountMinor: '', skus: [] },
        stampsRequired: 6,
        reward: { type: 'points', points: 100, couponProgramId: undefined, title: '' },
        minCheckMinor: money(0, digits),
        maxStampsPerPurchase: null,
      };
  }
}

/** A program as the form holds it. */
export function toForm(p: Program | undefined, kind: ProgramKind, digits: number): ProgramFormValues {
  const base: ProgramFormValues = {
    name: '',
    active: true,
    rules: defaultRules(kind, digits),
    levels: [],
    levelPolicy: { metric: 'spend', windowKind: 'all_time', window: { days: 365 }, downgrade: 'never' },
    welcomeBonusPoints: 0,
    referral: { enabled: false, referrerPoints: 100, refereePoints: 100 },
    validity: null,
  };
  if (!p) return base;
  const r = { ...(p.rules as Json) };
  delete r.kind;
  if ('minCheckMinor' in r) r.minCheckMinor = money(r.minCheckMinor, digits);
  if (kind === 'bonus') r.pointValueMinor = money(r.pointValueMinor, digits);
  if (kind === 'gift') r.nominalsMinor = ((r.nominalsMinor as number[]) ?? []).map((n) => money(n, digits));
  if (kind === 'coupon') {
    const d = { ...(r.discount as Json) };
    r.discount = { percent: 10, skus: [], qty: 1, ...d, amountMinor: d.type === 'fixed' ? money(d.amountMinor, digits) : '' };
  }
  if (kind === 'stamp') {
    const e = { ...(r.earn as Json) };
    r.earn = { skus: [], ...e, amountMinor: e.mode === 'per_amount' ? money(e.amountMinor, digits) : '' };
    r.reward = { points: 100, title: '', ...(r.reward as Json) };
  }
  const policy = p.levelPolicy ?? { metric: 'spend', window: 'all_time', downgrade: 'never' };
  return {
    name: p.name,
    active: p.active,
    rules: r,
    levels: p.levels.map((l) => ({ ...l, threshold: policy.metric === 'spend' ? money(l.threshold, digits) : l.threshold })),
    levelPolicy: {
      metric: policy.metric,
      windowKind: policy.window === 'all_time' ? 'all_time' : 'days',
      window: { days: policy.window === 'all_time' ? 365 : policy.window.days },
      downgrade: policy.downgrade,
    },
    welcomeBonusPoints: p.welcomeBonusPoints,
    referral: p.referral ? { enabled: p.referral.referrerPoints > 0 || p.referral.refereePoints > 0, ...p.referral } : base.referral,
    validity:
      kind === 'coupon' && (r.validFrom || r.validTo) ? [r.validFrom ? dayjs(String(r.validFrom)) : null, r.validTo ? dayjs(String(r.validTo)) : null] : null,
  };
}

/** The form as the hub's create/patch body; a money text that is not an amount becomes NaN (refused by the form's own rule first). */
export function fromForm(v: ProgramFormValues, kind: ProgramKind, digits: number): Json {
  const r: Json = { ...v.rules, kind };
  if ('minCheckMinor' in r) r.minCheckMinor = toMinor(r.minCheckMinor, digits) ?? 0;
  if (kind === 'bonus') {
    r.pointValueMinor = toMinor(r.pointValueMinor, digits);
    r.expiryDays = nullable(r.expiryDays);
  }
  if (kind === 'gift') {
    r.nominalsMinor = ((r.nominalsMinor as unknown[]) ?? []).map((n) => toMinor(n, digits));
    r.expiryDays = nullable(r.expiryDays);
  }
  if (kind === 'coupon') {
    const d = r.discount as Json;
    r.discount =
      d.type === 'percent'
        ? { type: 'percent', percent: d.percent }
        : d.type === 'fixed'
          ? { type: 'fixed', amountMinor: toMinor(d.amountMinor, digits) }
          : { type: 'free_item', skus: d.skus ?? [], qty: d.qty ?? 1 };
    r.maxUses = r.usage === 'single' ? null : nullable(r.maxUses);
    r.perGuestLimit = nullable(r.perGuestLimit);
    const [from, to] = v.validity ?? [null, null];
    r.validFrom = from ? from.startOf('day').format() : null;
    r.validTo = to ? to.endOf('day').add(1, 'millisecond').format() : null;
  }
  if (kind === 'stamp') {
    const e = r.earn as Json;
    r.earn =
      e.mode === 'per_visit'
        ? { mode: 'per_visit' }
        : e.mode === 'per_amount'
          ? { mode: 'per_amount', amountMinor: toMinor(e.amountMinor, digits) }
          : { mode: 'per_sku', skus: e.skus ?? [] };
    const w = r.reward as Json;
    r.reward = w.type === 'points' ? { type: 'points', points: w.points } : { type: 'coupon', couponProgramId: w.couponProgramId, title: w.title };
    r.maxStampsPerPurchase = nullable(r.maxStampsPerPurchase);
  }
  const tiered = kind === 'bonus' || kind === 'discount';
  const metric = v.levelPolicy.metric;
  const levelPolicy: LevelPolicy = {
    metric,
    window: v.levelPolicy.windowKind === 'all_time' ? 'all_time' : { days: Number(v.levelPolicy.window?.days) },
    downgrade: v.levelPolicy.downgrade,
  };
  const levels = tiered
    ? (v.levels ?? []).map((l) => {
        const out: Json = { code: l.code, name: l.name, threshold: metric === 'spend' ? toMinor(l.threshold, digits) : Number(l.threshold) };
        const pct = kind === 'bonus' ? l.accrualPercent : l.discountPercent;
        if (pct !== undefined && pct !== null && String(pct) !== '') out[kind === 'bonus' ? 'accrualPercent' : 'discountPercent'] = Number(pct);
        return out;
      })
    : [];
  return {
    name: v.name,
    active: v.active,
    rules: r,
    levels,
    levelPolicy,
    welcomeBonusPoints: kind === 'bonus' ? Number(v.welcomeBonusPoints ?? 0) : 0,
    ...(kind === 'bonus'
      ? {
          referral: v.referral.enabled
            ? { referrerPoints: Number(v.referral.referrerPoints ?? 0), refereePoints: Number(v.referral.refereePoints ?? 0) }
            : null,
        }
      : {}),
  };
}
