import { ReactNode, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button, Card, Col, DatePicker, Empty, Progress, Row, Segmented, Select, Space, Statistic, Tooltip as Tip, Typography } from 'antd';
import dayjs, { Dayjs } from 'dayjs';
import { Bar, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDateTime, formatNumber } from '../app/format';
import { currencyDigits, formatMoney } from '../app/money';
import { usePrograms } from '../app/domain';
import type { Items, Location } from '../app/types';
import type { MessageKey } from '../app/messages';

type Interval = 'day' | 'week' | 'month';
type Figures = Record<string, number>;
interface Dashboard {
  totals: Figures;
  kpis: { averageCheckMinor: number; ltvMinor: number; frequencyX100: number; liabilityPoints: number; breakageBp: number };
  series: (Figures & { start: string; averageCheckMinor: number })[];
}
interface Funnel {
  steps: { step: string; guests: number; rateBp: number }[];
}
interface Rfm {
  computedAt: string;
  buyers: number;
  segments: { segment: string; guests: number; revenueMinor: number }[];
  grid: { r: number; fm: number; segment: string; guests: number; revenueMinor: number }[];
}

const SEGMENT_COLORS: Record<string, string> = {
  champions: '#40a02b',
  loyal: '#179299',
  potential_loyalists: '#04a5e5',
  new: '#1e66f5',
  promising: '#7287fd',
  need_attention: '#df8e1d',
  about_to_sleep: '#fe640b',
  at_risk: '#e64553',
  cant_lose: '#d20f39',
  hibernating: '#8c8fa1',
  lost: '#5c5f77',
};

/** Analytics: the period's figures from the rollups, a chart, the funnel and the RFM grid. */
export function AnalyticsPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const navigate = useNavigate();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(29, 'day'), dayjs()]);
  const [interval, setInterval] = useState<Interval>('day');
  const [locationId, setLocationId] = useState<string | undefined>();
  const [programId, setProgramId] = useState<string | undefined>();
  const programs = usePrograms();
  const locations = useLoad((signal) => http.get<Items<Location>>('/v1/admin/locations', { signal }).then((r) => r.items), []);
  const from = range[0].format('YYYY-MM-DD');
  const to = range[1].format('YYYY-MM-DD');
  const dash = useLoad(
    (signal) => http.get<Dashboard>(withQuery('/v1/admin/analytics/dashboard', { from, to, interval, locationId, programId }), { signal }),
    [from, to, interval, locationId, programId],
  );
  const funnel = useLoad((signal) => http.get<Funnel>(withQuery('/v1/admin/analytics/funnel', { from, to }), { signal }), [from, to]);
  const rfm = useLoad((signal) => http.get<Rfm>('/v1/admin/analytics/rfm', { signal }), []);
  const [recomputing, setRecomputing] = useState(false);
  const money = (n: number, compact = false) => formatMoney(n, business.currency, lang, { compact });
  const scale = 10 ** currencyDigits(business.currency);
  const d = dash.data;

  const kpis: { id: string; title: MessageKey; value: string }[] = d
    ? [
        { id: 'kpi-sales', title: 'analytics.sales', value: formatNumber(d.totals.sales ?? 0, lang) },
        { id: 'kpi-revenue', title: 'analytics.revenue', value: money(d.totals.revenueMinor ?? 0) },
        { id: 'kpi-average', title: 'analytics.averageCheck', value: money(d.kpis.averageCheckMinor) },
        { id: 'kpi-ltv', title: 'analytics.ltv', value: money(d.kpis.ltvMinor) },
        {
          id: 'kpi-frequency',
          title: 'analytics.frequency',
          value: (d.kpis.frequencyX100 / 100).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: 2 }),
        },
        { id: 'kpi-guests', title: 'analytics.newGuests', value: formatNumber(d.totals.newGuests ?? 0, lang) },
        { id: 'kpi-cards', title: 'analytics.cards', value: formatNumber(d.totals.cardsIssued ?? 0, lang) },
        { id: 'kpi-accrued', title: 'analytics.accrued', value: formatNumber(d.totals.pointsAccrued ?? 0, lang) },
        { id: 'kpi-redeemed', title: 'analytics.redeemed', value: formatNumber(d.totals.pointsRedeemed ?? 0, lang) },
        { id: 'kpi-liability', title: 'analytics.liability', value: formatNumber(d.kpis.liabilityPoints, lang) },
        { id: 'kpi-breakage', title: 'analytics.breakage', value: `${(d.kpis.breakageBp / 100).toFixed(1)}%` },
        { id: 'kpi-refunded', title: 'analytics.refunded', value: money(d.totals.refundedMinor ?? 0) },
      ]
    : [];
  const label = (start: string) =>
    interval === 'month'
      ? new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { month: 'short', year: '2-digit', timeZone: 'UTC' }).format(new Date(`${start}T12:00:00Z`))
      : new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${start}T12:00:00Z`));
  const chart = (d?.series ?? []).map((p) => ({ label: label(p.start), revenue: (p.revenueMinor ?? 0) / scale, sales: p.sales ?? 0 }));

  const grid = (r: number, fm: number) => rfm.data?.grid.find((c) => c.r === r && c.fm === fm);
  const cell = (r: number, fm: number): ReactNode => {
    const c = grid(r, fm);
    if (!c) return null;
    return (
      <Tip title={`${t(`rfm.${c.segment}` as MessageKey)}: ${formatNumber(c.guests, lang)} · ${money(c.revenueMinor)}`}>
        <button
          type="button"
          className="rfm-cell"
          data-testid={`rfm-${r}-${fm}`}
          onClick={() => navigate(`/clients/guests?rfm=${c.segment}`)}
          style={{
            background: SEGMENT_COLORS[c.segment],
            opacity: c.guests ? 1 : 0.35,
            color: '#fff',
            border: 0,
            width: '100%',
            height: 56,
            borderRadius: 6,
            cursor: 'pointer',
          }}
        >
          <div style={{ fontSize: 11 }}>{t(`rfm.${c.segment}` as MessageKey)}</div>
          <b>{formatNumber(c.guests, lang)}</b>
        </button>
      </Tip>
    );
  };

  return (
    <>
      <PageHeader title={t('section.analytics')} intro={t('analytics.intro')} />
      <Card style={{ marginBottom: 16 }}>
        <Space wrap size="middle">
          <span>
            {t('analytics.period')}{' '}
            <DatePicker.RangePicker
              value={range}
              allowClear={false}
              onChange={(v) => v && v[0] && v[1] && setRange([v[0], v[1]])}
              data-testid="analytics-period"
            />
          </span>
          <Segmented<Interval>
            value={interval}
            onChange={setInterval}
            options={(['day', 'week', 'month'] as const).map((i) => ({ value: i, label: t(`analytics.interval.${i}` as MessageKey) }))}
            data-testid="analytics-interval"
          />
          <Select
            style={{ minWidth: 180 }}
            value={locationId ?? ''}
            onChange={(v) => setLocationId(v || undefined)}
            aria-label={t('analytics.location')}
            data-testid="analytics-location"
            options={[
              { value: '', label: `${t('analytics.location')}: ${t('analytics.all')}` },
              ...(locations.data ?? []).map((l) => ({ value: l.id, label: l.name })),
            ]}
          />
          <Select
            style={{ minWidth: 180 }}
            value={programId ?? ''}
            onChange={(v) => setProgramId(v || undefined)}
            aria-label={t('analytics.program')}
            data-testid="analytics-program"
            options={[
              { value: '', label: `${t('analytics.program')}: ${t('analytics.all')}` },
              ...(programs.data ?? []).map((p) => ({ value: p.id, label: p.name })),
            ]}
          />
        </Space>
      </Card>
      {dash.error ? (
        <ErrorState error={dash.error} onRetry={dash.reload} />
      ) : (
        <Card loading={dash.loading && !d} style={{ marginBottom: 16 }} data-testid="analytics-kpis">
          <Row gutter={[16, 16]}>
            {kpis.map((k) => (
              <Col flex="1 1 160px" key={k.id}>
                <Statistic title={t(k.title)} value={k.value} data-testid={k.id} />
              </Col>
            ))}
          </Row>
          <Typography.Title level={5} style={{ marginTop: 24 }}>
            {t('analytics.chart')}
          </Typography.Title>
          <div style={{ width: '100%', height: 280 }} data-testid="analytics-chart">
            <ResponsiveContainer>
              <ComposedChart data={chart} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#ececf3" />
                <XAxis dataKey="label" tickLine={false} axisLine={false} minTickGap={12} />
                <YAxis yAxisId="money" tickLine={false} axisLine={false} width={80} tickFormatter={(v: number) => money(Math.round(v * scale), true)} />
                <YAxis yAxisId="count" orientation="right" allowDecimals={false} tickLine={false} axisLine={false} width={40} />
                <Tooltip
                  formatter={(v, name) =>
                    name === 'revenue' ? [money(Math.round(Number(v) * scale)), t('analytics.revenue')] : [String(v), t('analytics.sales')]
                  }
                />
                <Bar yAxisId="money" dataKey="revenue" fill="#1e66f5" radius={[4, 4, 0, 0]} isAnimationActive={false} />
                <Line yAxisId="count" dataKey="sales" stroke="#fe640b" strokeWidth={2} dot={false} isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
        </Card>
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card title={t('analytics.funnel')} loading={funnel.loading && !funnel.data} data-testid="analytics-funnel">
            {funnel.error ? (
              <ErrorState error={funnel.error} onRetry={funnel.reload} />
            ) : (
              (funnel.data?.steps ?? []).map((s) => (
                <div key={s.step} style={{ marginBottom: 12 }} data-testid={`funnel-${s.step}`}>
                  <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                    <span>{t(`analytics.funnel.${s.step}` as MessageKey)}</span>
                    <b>{formatNumber(s.guests, lang)}</b>
                  </Space>
                  <Progress percent={Math.round(s.rateBp / 100)} showInfo size="small" />
                </div>
              ))
            )}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card
            title={t('analytics.rfm')}
            extra={
              <Button
                loading={recomputing}
                onClick={async () => {
                  setRecomputing(true);
                  try {
                    const r = await http.post<Rfm>('/v1/admin/analytics/rfm/recompute');
                    rfm.setData(() => r);
                  } finally {
                    setRecomputing(false);
                  }
                }}
                data-testid="rfm-recompute"
              >
                {t('analytics.rfm.recompute')}
              </Button>
            }
            loading={rfm.loading && !rfm.data}
            data-testid="analytics-rfm"
          >
            {rfm.error ? (
              <ErrorState error={rfm.error} onRetry={rfm.reload} />
            ) : rfm.data && rfm.data.buyers === 0 ? (
              <Empty />
            ) : (
              <>
                <Typography.Paragraph type="secondary">
                  {t('analytics.rfm.intro')}{' '}
                  {rfm.data ? t('analytics.rfm.computedAt', { at: formatDateTime(rfm.data.computedAt, lang, business.timezone) }) : null}
                </Typography.Paragraph>
                <div style={{ display: 'grid', gridTemplateColumns: '56px repeat(5, 1fr)', gap: 4 }} role="grid" aria-label={t('analytics.rfm')}>
                  {[5, 4, 3, 2, 1].map((r) => (
                    <div key={r} style={{ display: 'contents' }}>
                      <div style={{ alignSelf: 'center', textAlign: 'right', paddingRight: 6 }}>R{r}</div>
                      {[1, 2, 3, 4, 5].map((fm) => (
                        <div key={fm}>{cell(r, fm)}</div>
                      ))}
                    </div>
                  ))}
                  <div />
                  {[1, 2, 3, 4, 5].map((fm) => (
                    <div key={fm} style={{ textAlign: 'center' }}>
                      FM{fm}
                    </div>
                  ))}
                </div>
                <table style={{ width: '100%', marginTop: 16 }} data-testid="rfm-segments">
                  <tbody>
                    {(rfm.data?.segments ?? []).map((s) => (
                      <tr key={s.segment}>
                        <td>
                          <span
                            style={{ display: 'inline-block', width: 10, height: 10, borderRadius: 2, background: SEGMENT_COLORS[s.segment], marginRight: 8 }}
                          />
                          {t(`rfm.${s.segment}` as MessageKey)}
                        </td>
                        <td style={{ textAlign: 'right' }}>{formatNumber(s.guests, lang)}</td>
                        <td style={{ textAlign: 'right' }}>{money(s.revenueMinor)}</td>
                        <td style={{ textAlign: 'right' }}>
                          <Button type="link" size="small" onClick={() => navigate(`/clients/guests?rfm=${s.segment}`)} disabled={!s.guests}>
                            {t('analytics.rfm.open')}
                          </Button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
