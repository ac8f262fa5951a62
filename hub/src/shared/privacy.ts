/** E.164 with all but the country code's first digits and the last four masked (logs, audit labels). */
export const maskPhone = (phone: string) =>
  phone.replace(/^(\+?\d{2})\d+(\d{4})$/, (_m, a: string, b: string) => `${a}${'*'.repeat(Math.max(0, phone.length - a.length - 4))}${b}`);

/** What identifies an erased guest in stored data. */
export interface GuestPii {
  guestId: string;
  phone: string | null;
  name: string | null;
  email: string | null;
}

export const ERASED = '[erased]';

/**
 * Replaces the guest's personal values anywhere in a JSON value: strings equal to the phone, the
 * e-mail or the name, and personal fields (`phone`, `name`, `email`, `birthday`) of an object that
 * is about the guest (`guestId` or `id` equal to theirs, or the whole row when `aboutGuest`).
 * `alsoValues`: more strings that identify the guest (their masked phone in refusal records).
 */
export function redactValue(v: unknown, g: GuestPii, aboutGuest: boolean, replacement: unknown = ERASED, alsoValues: string[] = []): unknown {
  const values = new Set([g.phone, g.email, g.name, ...alsoValues].filter((x): x is string => !!x));
  const walk = (x: unknown, about: boolean): unknown => {
    if (typeof x === 'string') return values.has(x) ? replacement : x;
    if (Array.isArray(x)) return x.map((y) => walk(y, about));
    if (x && typeof x === 'object' && !(x instanceof Date)) {
      const o = x as Record<string, unknown>;
      // An object naming a guest is about that guest only (a referrer nested in a guest row is not them).
      const mine = typeof o.guestId === 'string' ? o.guestId === g.guestId : about || o.id === g.guestId;
      return Object.fromEntries(Object.entries(o).map(([k, y]) => [k, mine && PII_KEYS.has(k) && y !== null && y !== undefined ? replacement : walk(y, mine)]));
    }
    return x;
  };
  return walk(v, aboutGuest);
}
const PII_KEYS = new Set(['phone', 'name', 'email', 'birthday', 'gender']);

/** A LIKE pattern matching `value` anywhere, with `!` as the escape character (same on SQLite and MySQL). */
export const likeAnywhere = (value: string) => `%${value.replace(/[!%_]/g, (c) => `!${c}`)}%`;
