import { Alert, Avatar, Card, Descriptions, Flex, Statistic, Tag, Typography } from 'antd';
import { UserOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { formatCardNumber, formatNumber } from '../app/format';
import { formatPhone } from '../app/phone';
import { labelOf } from '../app/domain';
import type { CardLookup, Quote } from '../app/types';
import { useMe } from '../app/session';
import { dayKey } from '../home/today';
import { birthdayOffset, phoneTail } from './birthday';
import { useMoneyFmt } from './shared';

/** Who is at the till: name, program and card number, level, balance or stamps, visits. */
export function GuestCard({ found }: { found: CardLookup }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  const { business } = useMe();
  const { card, guest } = found;
  const tail = phoneTail(guest?.phone);
  const birthday = birthdayOffset(guest?.birthday, dayKey(new Date(), business.timezone));
  return (
    <Card className="scanner-guest" data-testid="scanner-guest">
      <Flex justify="space-between" align="flex-start" gap={12}>
        <Flex gap={12} align="center">
          <Avatar size={44} icon={<UserOutlined />} style={{ background: 'rgba(255,255,255,0.2)' }} />
          <div>
            <Typography.Title level={4} style={{ margin: 0, color: '#fff' }}>
              {guest?.name || formatPhone(guest?.phone) || t('scanner.bearer')}
            </Typography.Title>
            <Typography.Text style={{ opacity: 0.85 }}>
              {card.programName} · <span className="card-number">{formatCardNumber(card.number)}</span>
            </Typography.Text>
            {tail && guest?.name ? (
              <div>
                <Typography.Text style={{ opacity: 0.85 }} data-testid="scanner-phone-tail">
                  {t('scanner.phoneTail', { tail })}
                </Typography.Text>
              </div>
            ) : null}
          </div>
        </Flex>
        <Flex vertical gap={4} align="flex-end">
          {card.levelName ? <Tag color="gold">{card.levelName}</Tag> : null}
          {birthday !== null ? (
            <Tag color="magenta" data-testid="scanner-birthday">
              {birthday === 0
                ? t('scanner.birthday.today')
                : birthday > 0
                  ? t('scanner.birthday.soon', { days: birthday })
                  : t('scanner.birthday.past', { days: -birthday })}
            </Tag>
          ) : null}
        </Flex>
      </Flex>
      <Flex gap={24} wrap style={{ marginTop: 16 }}>
        {card.kind === 'bonus' ? (
          <Statistic
            title={t('card.points.available')}
            value={formatNumber(card.pointsAvailable, lang)}
            suffix={found.maxRedeemValueMinor > 0 ? <span style={{ fontSize: 14, opacity: 0.85 }} data-testid="scanner-points-worth">{t('scanner.pointsWorth', { money: money(found.maxRedeemValueMinor) })}</span> : undefined}
            data-testid="scanner-points"
          />
        ) : null}
        {card.kind === 'bonus' && card.pointsPending ? <Statistic title={t('card.points.pending')} value={formatNumber(card.pointsPending, lang)} /> : null}
        {card.kind === 'gift' ? <Statistic title={t('card.gift.balance')} value={money(card.giftBalanceMinor)} /> : null}
        {card.kind === 'stamp' ? (
          <Statistic title={t('card.stamps')} value={`${card.stamps} / ${card.stampsGoal ?? '—'}`} data-testid="scanner-stamps" />
        ) : null}
        <Statistic title={t('guest.visits')} value={card.visits} />
      </Flex>
      {card.status !== 'active' ? <Alert type="error" showIcon message={labelOf('card.status', card.status, t)} style={{ marginTop: 12 }} /> : null}
    </Card>
  );
}

/** What the sale will do, as the hub quoted it. */
export function QuoteLines({ quote }: { quote: Quote }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  return (
    <Descriptions column={1} size="small" bordered styles={{ label: { width: '55%' } }} data-testid="scanner-quote">
      <Descriptions.Item label={t('scanner.q.total')}>{money(quote.totalMinor)}</Descriptions.Item>
      {quote.discountMinor ? <Descriptions.Item label={t('scanner.q.discount')}>−{money(quote.discountMinor)}</Descriptions.Item> : null}
      {quote.couponDiscountMinor ? <Descriptions.Item label={t('scanner.q.coupon')}>−{money(quote.couponDiscountMinor)}</Descriptions.Item> : null}
      {quote.pointsRedeemed ? (
        <Descriptions.Item label={t('scanner.q.redeemed', { n: formatNumber(quote.pointsRedeemed, lang) })}>−{money(quote.redeemValueMinor)}</Descriptions.Item>
      ) : null}
      {quote.giftSpentMinor ? <Descriptions.Item label={t('scanner.q.gift')}>−{money(quote.giftSpentMinor)}</Descriptions.Item> : null}
      <Descriptions.Item label={<strong>{t('scanner.q.pay')}</strong>}>
        <strong data-testid="scanner-pay">{money(quote.payableMinor)}</strong>
      </Descriptions.Item>
      {quote.pointsAccrued ? <Descriptions.Item label={t('scanner.q.accrued')}>+{formatNumber(quote.pointsAccrued, lang)}</Descriptions.Item> : null}
      {quote.stampsAdded ? <Descriptions.Item label={t('scanner.q.stamps')}>+{quote.stampsAdded}</Descriptions.Item> : null}
    </Descriptions>
  );
}
