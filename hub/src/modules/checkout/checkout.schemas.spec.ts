import { z } from 'zod';
import { basketSchema, checkoutRequestSchema } from './checkout.schemas';

const line = (over: object = {}) => ({ sku: 'LATTE', qty: 1, unitPriceMinor: 25_000, amountMinor: 25_000, ...over });
const paths = (r: { error?: z.ZodError }) => (r.error?.issues ?? []).map((i) => i.path.join('.'));

describe('basketSchema', () => {
  it('accepts lines, with or without a matching total', () => {
    expect(basketSchema.parse({ items: [line(), line({ sku: 'CAKE', category: 'bakery', amountMinor: 0 })] }).items).toHaveLength(2);
    expect(basketSchema.parse({ totalMinor: 50_000, items: [line(), line()] }).totalMinor).toBe(50_000);
  });

  it.each([
    ['a total that does not match the lines', { totalMinor: 49_999, items: [line(), line()] }, 'totalMinor'],
    ['a negative amount', { items: [line({ amountMinor: -1 })] }, 'items.0.amountMinor'],
    ['a fractional amount', { items: [line({ amountMinor: 0.5 })] }, 'items.0.amountMinor'],
    ['a fractional unit price', { items: [line({ unitPriceMinor: 99.9 })] }, 'items.0.unitPriceMinor'],
    ['a zero quantity', { items: [line({ qty: 0 })] }, 'items.0.qty'],
    ['a fractional quantity', { items: [line({ qty: 1.5 })] }, 'items.0.qty'],
    ['an empty SKU', { items: [line({ sku: '  ' })] }, 'items.0.sku'],
    ['an unknown field', { items: [line({ discount: 5 })] }, 'items.0'],
    ['an empty basket', { items: [] }, 'items'],
    ['too many lines', { items: Array.from({ length: 501 }, () => line()) }, 'items'],
    ['a sum beyond safe integers', { items: [line({ amountMinor: Number.MAX_SAFE_INTEGER }), line({ amountMinor: 2 })] }, 'items'],
  ])('refuses %s', (_what, basket, path) => {
    expect(paths(basketSchema.safeParse(basket))).toContain(path);
  });
});

describe('checkoutRequestSchema', () => {
  it('takes points and certificate amounts or "max", and normalizes the coupon code', () => {
    expect(checkoutRequestSchema.parse({ redeemPoints: 'max', giftAmountMinor: 5000, couponCode: ' summer-7kq2 ', addStamps: 1 })).toEqual({
      redeemPoints: 'max',
      giftAmountMinor: 5000,
      couponCode: 'SUMMER-7KQ2',
      addStamps: 1,
    });
    expect(checkoutRequestSchema.parse({})).toEqual({});
    expect(checkoutRequestSchema.parse({ redeemValueMinor: 25_050 })).toEqual({ redeemValueMinor: 25_050 });
  });

  it.each([
    [{ redeemPoints: -1 }, 'redeemPoints'],
    [{ redeemPoints: 1.5 }, 'redeemPoints'],
    [{ redeemPoints: 'all' }, 'redeemPoints'],
    [{ giftAmountMinor: -100 }, 'giftAmountMinor'],
    [{ giftAmountMinor: 0.01 }, 'giftAmountMinor'],
    [{ couponCode: 'SUMMER 10' }, 'couponCode'],
    [{ addStamps: 0.5 }, 'addStamps'],
    [{ tip: 100 }, ''],
    [{ redeemValueMinor: -1 }, 'redeemValueMinor'],
    [{ redeemValueMinor: 10.5 }, 'redeemValueMinor'],
    [{ redeemValueMinor: 1000, redeemPoints: 10 }, 'redeemValueMinor'],
    [{ redeemValueMinor: 1000, redeemPoints: 'max' }, 'redeemValueMinor'],
  ])('refuses %j', (body, path) => {
    expect(paths(checkoutRequestSchema.safeParse(body))).toContain(path);
  });
});
