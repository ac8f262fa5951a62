import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { formatMoney } from '../app/money';

/** Where the scanner remembers this device's location (per business). */
export const LOCATION_KEY = (businessId: string) => `loyalty.scanner.location.${businessId}`;

/** Money in the business's currency and the cashier's language. */
export function useMoneyFmt() {
  const { lang } = useI18n();
  const { business } = useMe();
  return (n: number) => formatMoney(n, business.currency, lang);
}
