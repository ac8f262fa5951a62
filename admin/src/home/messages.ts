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
};
