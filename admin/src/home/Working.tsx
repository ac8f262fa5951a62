import { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { Card, Col, Row, Skeleton, Statistic, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, GiftOutlined, HistoryOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { ErrorState } from '../app/ui';
import { formatNumber } from '../app/format';
import { formatMoney } from '../app/money';
import type { MessageKey } from '../app/messages';

interface Compared {
  value: number;
  previous: number;
  changeBp: number | null;
}

/** `GET /v1/admin/home`: the last seven days against the seven before (hub/src/modules/home). */
export interface HomeFigures {
  currency: string;
  periods: { from: string; to: string; previousFrom: string; previousTo: string };
  sales: Compared;
  revenueMinor: Compared;
  averageCheckMinor: Compared;
  returningShareBp: Compared;
  cardRevenueMinor: Compared;
  outstandingPointsMinor: Compared;
  outstandingPoints: Compared;
  walletInstalls: Compared;
  newGuests: Compared;
  birthdaysThisWeek: number;
  notBack30Days: number;
}

/** The change against last week as «+12 %» / «−8 %», green when it is good news. */
function Change({ c, lowerIsBetter = false }: { c: Compared; lowerIsBetter?: boolean }) {
  const { t, lang } = useI18n();
  if (c.changeBp === null) return <Typography.Text type="secondary">{t('home.kpi.noBase')}</Typography.Text>;
  const pct = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(
    c.changeBp / 10_000,
  );
  const good = c.changeBp === 0 ? undefined : c.changeBp > 0 !== lowerIsBetter;
  return (
    <Typography.Text type={good === undefined ? 'secondary' : good ? 'success' : 'danger'} data-testid="kpi-change">
      {c.changeBp > 0 ? <ArrowUpOutlined /> : c.changeBp < 0 ? <ArrowDownOutlined /> : null} {pct} {t('home.kpi.vsLastWeek')}
    </Typography.Text>
  );
}

/**
 * "Is it working?": average check, returning guests, card holders' revenue, the points owed and
 * wallet installs for the last seven days against the seven before, and the guests to act on
 * (birthdays this week, not back for 30 days) linking to the filtered guest list. One call.
 */
export function Working() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { data, error, loading, reload } = useLoad((signal) => http.get<HomeFigures>('/v1/admin/home', { signal }), []);
  if (error) return <ErrorState error={error} onRetry={reload} />;
  if (loading && !data)
    return (
      <Card>
        <Skeleton active paragraph={{ rows: 4 }} />
      </Card>
    );
  if (!data) return null;
  const money = (n: number) => formatMoney(n, business.currency, lang);
  const percent = (bp: number) => new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(bp / 10_000);
  const kpis: { id: string; title: MessageKey; value: string; c: Compared; hint?: string; lowerIsBetter?: boolean }[] = [
    { id: 'kpi-average-check', title: 'home.kpi.averageCheck', value: money(data.averageCheckMinor.value), c: data.averageCheckMinor },
    { id: 'kpi-returning', title: 'home.kpi.returning', value: percent(data.returningShareBp.value), c: data.returningShareBp },
    { id: 'kpi-card-revenue', title: 'home.kpi.cardRevenue', value: money(data.cardRevenueMinor.value), c: data.cardRevenueMinor },
    {
      id: 'kpi-liability',
      title: 'home.kpi.liability',
      value: money(data.outstandingPointsMinor.value),
      c: data.outstandingPointsMinor,
      hint: t('home.kpi.liability.points', { points: formatNumber(data.outstandingPoints.value, lang) }),
      lowerIsBetter: true,
    },
    { id: 'kpi-wallet', title: 'home.kpi.wallet', value: formatNumber(data.walletInstalls.value, lang), c: data.walletInstalls },
  ];
  const act: { id: string; title: MessageKey; value: number; to: string; icon: ReactNode }[] = [
    { id: 'home-birthdays', title: 'home.act.birthdays', value: data.birthdaysThisWeek, to: '/clients/guests?birthdayIn=this_week', icon: <GiftOutlined /> },
    { id: 'home-not-back', title: 'home.act.notBack', value: data.notBack30Days, to: '/clients/guests?notBackDays=30', icon: <HistoryOutlined /> },
  ];
  return (
    <Card title={t('home.kpi.title')} extra={<Typography.Text type="secondary">{t('home.kpi.period')}</Typography.Text>} data-testid="home-working">
      <Row gutter={[16, 16]}>
        {kpis.map((k) => (
          <Col flex="1 1 190px" key={k.id}>
            <Statistic title={t(k.title)} value={k.value} data-testid={k.id} />
            {k.hint ? (
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                {k.hint}
              </Typography.Text>
            ) : null}
            <Change c={k.c} lowerIsBetter={k.lowerIsBetter} />
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        {act.map((a) => (
          <Col xs={24} md={12} key={a.id}>
            <Link to={a.to} data-testid={a.id}>
              <Card size="small" hoverable>
                <Statistic title={t(a.title)} value={formatNumber(a.value, lang)} prefix={<span className="muted">{a.icon}</span>} />
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </Card>
  );
}
