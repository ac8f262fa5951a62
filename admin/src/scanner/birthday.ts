/**
 * Days from `today` to the guest's birthday nearest to it (negative: it was that many days ago),
 * or null when it is more than `window` days away or unknown. Both are `YYYY-MM-DD`; a 29 February
 * birthday falls on 28 February in other years.
 */
export function birthdayOffset(birthday: string | null | undefined, today: string, window = 7): number | null {
  const b = /^\d{4}-(\d{2})-(\d{2})$/.exec(birthday ?? '');
  const t = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
  if (!b || !t) return null;
  const year = Number(t[1]);
  const at = (y: number) => {
    const month = Number(b[1]) - 1;
    let day = Number(b[2]);
    if (month === 1 && day === 29 && new Date(Date.UTC(y, 1, 29)).getUTCMonth() !== 1) day = 28;
    return Date.UTC(y, month, day);
  };
  const now = Date.UTC(year, Number(t[2]) - 1, Number(t[3]));
  const days = [year - 1, year, year + 1].map((y) => Math.round((at(y) - now) / 86_400_000));
  const nearest = days.reduce((a, d) => (Math.abs(d) < Math.abs(a) ? d : a));
  return Math.abs(nearest) <= window ? nearest : null;
}

/** The last four digits of a phone, for the cashier to confirm who is at the till. */
export function phoneTail(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : null;
}
