import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A stored E.164 phone as people read it: `+7 999 000-00-24` for Russia and Kazakhstan (the local
 * habit), the international format elsewhere (`+44 20 7946 0958`). Anything that does not parse is
 * shown as stored.
 */
export function formatPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const p = parsePhoneNumberFromString(phone);
  if (!p) return phone;
  const n = p.nationalNumber;
  if (p.countryCallingCode === '7' && n.length === 10) return `+7 ${n.slice(0, 3)} ${n.slice(3, 6)}-${n.slice(6, 8)}-${n.slice(8)}`;
  return p.formatInternational();
}
