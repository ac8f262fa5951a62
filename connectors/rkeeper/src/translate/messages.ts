/*
 * What the cashier reads. r_keeper shows WhyLock, ScrMessage and TRRESPONSE err_text as they are,
 * and Russian cashiers read Russian, so every text here is Russian and short (r_keeper cuts at 255).
 * Each refusal has a stable numeric `error_code` (TRRESPONSE) so support can tell them apart.
 */

/** Why we refuse: our codes, the TRRESPONSE `error_code` and the cashier's text. */
export const REFUSALS = {
  bad_request: { errorCode: 1, text: 'Ошибка в запросе FarCards: запрос не прочитан. Проверьте настройки FarCards' },
  access_denied: { errorCode: 2, text: 'Программа лояльности отклонила запрос: неверный адрес или ключ FarCards' },
  card_not_found: { errorCode: 3, text: 'Карта не найдена в программе лояльности' },
  card_blocked: { errorCode: 4, text: 'Карта заблокирована' },
  card_deleted: { errorCode: 4, text: 'Карта удалена' },
  insufficient_points: { errorCode: 5, text: 'Недостаточно баллов на карте для такой оплаты' },
  payment_mismatch: { errorCode: 5, text: 'Оплата баллами не совпадает с доступной суммой' },
  insufficient_gift_balance: { errorCode: 5, text: 'Недостаточно средств на сертификате' },
  gift_expired: { errorCode: 5, text: 'Срок действия сертификата истёк' },
  payment_not_supported: { errorCode: 6, text: 'Эту карту нельзя использовать для оплаты' },
  bad_sign: { errorCode: 6, text: 'Неверный знак суммы в транзакции' },
  bad_kind: { errorCode: 6, text: 'Неизвестный вид транзакции' },
  several_cards: { errorCode: 6, text: 'В одном чеке можно провести только одну карту программы лояльности' },
  several_checks: { errorCode: 6, text: 'Транзакции пакета относятся к разным чекам' },
  no_basket: { errorCode: 6, text: 'В пакете нет данных о сумме чека' },
  bad_check: { errorCode: 6, text: 'Данные чека (CHECK) не прочитаны' },
  till_not_configured: { errorCode: 7, text: 'Касса не настроена в программе лояльности: добавьте её в настройках коннектора r_keeper' },
  sale_not_found: { errorCode: 8, text: 'Продажа по этому чеку не найдена в программе лояльности' },
  already_recorded_differently: { errorCode: 9, text: 'Этот чек уже проведён в программе лояльности с другими суммами' },
  not_refundable: { errorCode: 9, text: 'Продажу нельзя вернуть: она отменена или ещё не завершена' },
  refund_exceeds_remaining: { errorCode: 9, text: 'Сумма возврата больше, чем осталось по продаже' },
  refund_void_insufficient_points: { errorCode: 9, text: 'Отмена возврата невозможна: гость уже потратил возвращённые баллы' },
  hold_expired: { errorCode: 9, text: 'Резерв баллов по чеку истёк; проведите чек заново' },
  fraud_limit_exceeded: { errorCode: 10, text: 'Превышен лимит операций по карте; обратитесь к администратору' },
  refused: { errorCode: 11, text: 'Программа лояльности отклонила операцию' },
  unavailable: { errorCode: 12, text: 'Сервер лояльности временно недоступен; повторите через минуту' },
  internal: { errorCode: 13, text: 'Внутренняя ошибка сервера лояльности; повторите или обратитесь в поддержку' },
} as const;

export type RefusalCode = keyof typeof REFUSALS;

/** A refusal with its text (and an optional detail appended for the cashier). */
export interface Refusal {
  code: RefusalCode;
  errorCode: number;
  text: string;
}

export function refusal(code: RefusalCode, detail?: string): Refusal {
  const r = REFUSALS[code];
  return { code, errorCode: r.errorCode, text: detail ? `${r.text}: ${detail}` : r.text };
}

/** The hub's refusal codes (CommandError.code) as cashier refusals. */
const HUB_CODES: Record<string, RefusalCode> = {
  card_not_found: 'card_not_found',
  card_blocked: 'card_blocked',
  card_deleted: 'card_deleted',
  insufficient_points: 'insufficient_points',
  redeem_over_cap: 'insufficient_points',
  insufficient_gift_balance: 'insufficient_gift_balance',
  gift_expired: 'gift_expired',
  gift_over_payable: 'insufficient_gift_balance',
  gift_partial_not_allowed: 'payment_not_supported',
  operation_not_supported: 'payment_not_supported',
  fraud_limit_exceeded: 'fraud_limit_exceeded',
  idempotency_key_reused: 'already_recorded_differently',
  not_refundable: 'not_refundable',
  refund_exceeds_remaining: 'refund_exceeds_remaining',
  refund_void_insufficient_points: 'refund_void_insufficient_points',
  hold_expired: 'hold_expired',
  hold_canceled: 'hold_expired',
  checkout_not_found: 'sale_not_found',
  invalid_basket: 'bad_check',
  validation_failed: 'bad_check',
};

/** Maps a hub refusal (code + status) to what the cashier reads; 5xx and timeouts are "retry later". */
export function fromHubError(code: string | undefined, status: number | undefined): Refusal {
  if (status === undefined || status >= 500 || code === 'no_command_server' || code === 'command_timeout') return refusal('unavailable');
  const mapped = code ? HUB_CODES[code] : undefined;
  if (mapped) return refusal(mapped);
  return refusal('refused', code ? `код ${code}` : undefined);
}

/** Kopecks as the cashier reads money: `1 234,50 ₽`. */
export function rub(kopecks: number): string {
  const sign = kopecks < 0 ? '-' : '';
  const abs = Math.abs(kopecks);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${sign}${whole},${String(abs % 100).padStart(2, '0')} ₽`;
}

/** Points with the Russian plural: 1 балл, 2 балла, 5 баллов. */
export function points(n: number): string {
  const abs = Math.abs(n);
  const mod10 = abs % 10;
  const mod100 = abs % 100;
  const word = mod10 === 1 && mod100 !== 11 ? 'балл' : mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14) ? 'балла' : 'баллов';
  return `${n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ')} ${word}`;
}

/** Transaction kinds as the cashier reads them. */
export const KIND_NAMES: Record<number, string> = { 0: 'оплата картой', 1: 'скидка', 2: 'начисление бонусов', 3: 'траты' };

/** Warnings that accompany a success (TRRESPONSE err_text with error_code 0). */
export const NOTES = {
  alreadyCounted: 'Чек уже учтён в программе лояльности (пришёл другим путём); повторно не начислено',
  saleUnknownForReturn: 'Продажа по чеку не найдена в программе лояльности; баллы не изменены',
  returnUnknownForRollback: 'Возврат по чеку не найден в программе лояльности; баллы не изменены',
  ignoredMode: 'Пакет принят без изменений в программе лояльности',
} as const;
