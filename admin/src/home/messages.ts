// Home: today's figures.
export const en = {
  'home.today': 'Today',
  'home.today.sales': 'Sales',
  'home.today.revenue': 'Revenue',
  'home.today.accrued': 'Points accrued',
  'home.today.redeemed': 'Points redeemed',
  'home.today.newGuests': 'New guests',
  'home.week': 'Last 7 days',
  'home.partial': 'A busy week: the figures cover the latest 1,000 sales and guests.',
  'home.notice.smsBudget': 'Today’s SMS budget is spent: guests cannot get registration codes until midnight',
  'home.notice.smsBudget.text':
    'A sudden spike is usually SMS pumping (bots requesting codes to paid numbers). If it is real demand, raise the daily budget in the SMS policy.',
  'home.notice.smsOff': 'The page /join/{slug} registers guests without SMS verification',
  'home.notice.smsOff.text':
    'Anyone can enrol a phone that is not theirs there (the card link still goes only to that phone by SMS). Turn SMS verification on unless you have a reason.',
  'home.notice.open': 'Registration pages',
} as const;

export const ru: Record<keyof typeof en, string> = {
  'home.today': 'Сегодня',
  'home.today.sales': 'Продажи',
  'home.today.revenue': 'Выручка',
  'home.today.accrued': 'Начислено баллов',
  'home.today.redeemed': 'Списано баллов',
  'home.today.newGuests': 'Новые гости',
  'home.week': 'Последние 7 дней',
  'home.partial': 'Насыщенная неделя: цифры учитывают последние 1000 продаж и гостей.',
  'home.notice.smsBudget': 'Дневной лимит SMS исчерпан: гости не получат коды регистрации до полуночи',
  'home.notice.smsBudget.text':
    'Резкий всплеск обычно означает SMS-накрутку (боты запрашивают коды на платные номера). Если это реальный спрос, увеличьте дневной лимит в SMS-политике.',
  'home.notice.smsOff': 'Страница /join/{slug} регистрирует гостей без SMS-подтверждения',
  'home.notice.smsOff.text':
    'Там любой может зарегистрировать чужой номер (ссылка на карту всё равно уходит только SMS на этот номер). Включите SMS-подтверждение, если нет особой причины.',
  'home.notice.open': 'Страницы регистрации',
};
