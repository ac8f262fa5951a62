import { attr, child, children, find, parseXml, toXml, type XmlNode, type XmlOut } from './xml';

/*
 * The r_keeper 7 XML interface (shared/research/pos-protocols.md §2.2): `RK7Query` / `RK7CMD`
 * requests and `RK7QueryResult` answers. Money in kopecks, quantities in thousandths, GUIDs
 * upper-case in braces, booleans 1/0. Pure.
 */

/** One `RK7CMD` (command names are case-sensitive). */
export interface Rk7Command {
  cmd: string;
  attrs?: Record<string, string>;
  children?: XmlOut[];
}

/** The request document for one or more commands. */
export function rk7Query(commands: Rk7Command[]): string {
  return toXml({
    name: 'RK7Query',
    children: commands.map((c) => ({ name: 'RK7CMD', attrs: [['CMD', c.cmd], ...Object.entries(c.attrs ?? {})], children: c.children })),
  });
}

/** A dish line of an order (`Session/Dish`). */
export interface Rk7Dish {
  id?: string;
  code?: string;
  name?: string;
  /** Kopecks. */
  price: number;
  /** Thousandths (1000 = one portion). */
  quantity: number;
  /** Kopecks. */
  amount: number;
  lineGuid?: string;
  /** 1 open, 3 fixed, 4 printed, 5 partly closed, 6 closed, 7 deleted. */
  state?: number;
}

export interface Rk7Order {
  guid: string;
  orderId?: string;
  version?: string;
  /** Kopecks. */
  orderSum?: number;
  toPaySum?: number;
  finished: boolean;
  /** Card codes of the guests (`Guests/Guest@cardCode`). */
  cardCodes: string[];
  dishes: Rk7Dish[];
  discounts: { id?: string; amount: number; cardCode?: string }[];
  pays: { id?: string; amount: number; cardCode?: string; extTransactionInfo?: string; lineGuid?: string }[];
  checkNums: string[];
}

export interface Rk7Result {
  status: string;
  cmd?: string;
  errorText?: string;
  rk7ErrorN?: string;
  serverVersion?: string;
  netName?: string;
  /** GetOrderList: send it back as `lastversion` to poll for changes. */
  lastVersion?: string;
  /** GetOrderList: order summaries; GetOrder: the one order. */
  orders: Rk7Order[];
}

const int = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined);

function order(o: XmlNode, guests: XmlNode[]): Rk7Order {
  const dishes: Rk7Dish[] = [];
  for (const s of children(o, 'Session')) {
    for (const d of children(s, 'Dish')) {
      dishes.push({
        id: attr(d, 'id'),
        code: attr(d, 'code'),
        name: attr(d, 'name'),
        price: int(attr(d, 'price')) ?? 0,
        quantity: int(attr(d, 'quantity')) ?? 0,
        amount: int(attr(d, 'amount')) ?? 0,
        lineGuid: attr(d, 'line_guid'),
        state: int(attr(d, 'state')),
      });
    }
  }
  const all = (name: string) => [...children(o, name), ...children(o, 'Session').flatMap((s) => children(s, name))];
  const cards = [...guests, ...children(child(o, 'Guests'), 'Guest')].map((g) => attr(g, 'cardCode')).filter((c): c is string => !!c);
  return {
    guid: attr(o, 'guid') ?? '',
    orderId: attr(o, 'OrderID') ?? attr(o, 'orderIdent'),
    version: attr(o, 'Version'),
    orderSum: int(attr(o, 'OrderSum')),
    toPaySum: int(attr(o, 'ToPaySum')),
    finished: attr(o, 'Finished') === '1',
    cardCodes: [...new Set(cards)],
    dishes,
    discounts: all('Discount').map((d) => ({ id: attr(d, 'id'), amount: int(attr(d, 'amount')) ?? 0, cardCode: attr(d, 'cardCode') })),
    pays: [...all('Pay'), ...all('Prepay')].map((p) => ({
      id: attr(p, 'id'),
      amount: int(attr(p, 'amount')) ?? 0,
      cardCode: attr(p, 'cardCode'),
      extTransactionInfo: attr(p, 'extTransactionInfo'),
      lineGuid: attr(p, 'line_guid'),
    })),
    checkNums: all('PrintCheck')
      .map((c) => attr(c, 'CheckNum'))
      .filter((c): c is string => !!c),
  };
}

/** Reads an `RK7QueryResult`; `ok: false` only when the answer is not one. */
export function parseRk7Result(text: string): { ok: true; result: Rk7Result } | { ok: false; reason: string } {
  const p = parseXml(text);
  if (!p.ok) return { ok: false, reason: p.reason };
  const root = find(p.root, 'RK7QueryResult');
  if (!root) return { ok: false, reason: 'no RK7QueryResult element' };
  const orders: Rk7Order[] = [];
  for (const v of children(root, 'Visit')) {
    const guests = children(child(v, 'Guests'), 'Guest');
    for (const o of children(child(v, 'Orders'), 'Order')) orders.push(order(o, guests));
  }
  for (const o of children(root, 'Order')) orders.push(order(o, []));
  return {
    ok: true,
    result: {
      status: attr(root, 'Status') ?? '',
      cmd: attr(root, 'CMD'),
      errorText: attr(root, 'ErrorText') || undefined,
      rk7ErrorN: attr(root, 'RK7ErrorN') || undefined,
      serverVersion: attr(root, 'ServerVersion'),
      netName: attr(root, 'NetName'),
      lastVersion: attr(root, 'lastversion') ?? attr(root, 'LastVersion'),
      orders,
    },
  };
}
