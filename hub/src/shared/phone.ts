import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * A phone number as typed by a cashier or a guest, in E.164 (`+79991234567`), or null when it is
 * not a valid number. National formats are read for `defaultCountry` (Russian `8 (999) 123-45-67`,
 * `9991234567`); an international `00` prefix is read as `+`.
 */
export function normalizePhone(input: string, defaultCountry: CountryCode = 'RU'): string | null {
  if (typeof input !== 'string') return null;
  let text = input.trim();
  if (text.length === 0 || text.length > 40 || /[A-Za-zА-Яа-я]/.test(text)) return null;
  if (text.startsWith('00')) text = '+' + text.slice(2);
  const phone = parsePhoneNumberFromString(text, defaultCountry);
  return phone && phone.isValid() ? phone.number : null;
}
