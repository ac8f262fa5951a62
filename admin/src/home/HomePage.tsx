import { ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Col, Descriptions, Empty, List, Row, Skeleton, Statistic, Typography } from 'antd';
import {
  CheckCircleFilled,
  EnvironmentOutlined,
  GiftOutlined,
  KeyOutlined,
  RiseOutlined,
  ShoppingCartOutlined,
  TeamOutlined,
  UserAddOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Bar, CartesianGrid, Line, ComposedChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDate, formatNumber, zoneLabel } from '../app/format';
import { currencyDigits, formatMoney } from '../app/money';
import type { Items, Location, Staff, Terminal } from '../app/types';
import type { MessageKey } from '../app/messages';
import { loadSummary, Summary } from './today';
import { EngagementNotices } from './Notices';
import { Working } from './Working';
import { ScannerCard } from './ScannerCard';

/** Today's key figures and the last seven days as a chart, from the sales and guests of the business. */
function Today({ summary, loading }: { summary?: Summary; loading: boolean }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const money = (n: number, compact = false) => formatMoney(n, business.currency, lang, { compact });
  if (loading && !summary) {
    return (
      <Card>
        <Skeleton active paragraph={{ rows: 6 }} />
      </Card>
    );
  }
  if (!summary) return null;
  const d = summary.today;
  const scale = 10 ** currencyDigits(business.currency);
  const weekday = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { weekday: 'short', day: 'numeric', timeZone: 'UTC' });
  const chart = summary.days.map((x) => ({ ...x, label: weekday.format(new Date(`${x.day}T12:00:00Z`)), revenue: x.revenueMinor / scale }));
  const kpis: { id: string; title: MessageKey; value: string; icon: ReactNode }[] = [
    { id: 'today-sales', title: 'home.today.sales', value: formatNumber(d.sales, lang), icon: <ShoppingCartOutlined /> },
    { id: 'today-revenue', title: 'home.today.revenue', value: money(d.revenueMinor), icon: <WalletOutlined /> },
    { id: 'today-accrued', title: 'home.today.accrued', value: formatNumber(d.pointsAccrued, lang), icon: <RiseOutlined /> },
    { id: 'today-redeemed', title: 'home.today.redeemed', value: formatNumber(d.pointsRedeemed, lang), icon: <GiftOutlined /> },
    { id: 'today-guests', title: 'home.today.newGuests', value: formatNumber(d.newGuests, lang), icon: <UserAddOutlined /> },
  ];
  return (
    <Card
      title={t('home.today')}
      extra={<Typography.Text type="secondary">{formatDate(new Date().toISOString(), lang, business.timezone)}</Typography.Text>}
      data-testid="today"
    >
      <Row gutter={[16, 16]}>
        {kpis.map((k) => (
          <Col flex="1 1 170px" key={k.id}>
            <Statistic title={t(k.title)} value={k.value} prefix={<span className="muted">{k.icon}</span>} data-testid={k.id} />
          </Col>
        ))}
      </Row>
      {summary.partial ? <Alert type="info" showIcon message={t('home.partial')} style={{ marginTop: 16 }} /> : null}
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('home.week')}
      </Typography.Title>
      {summary.anySales ? (
        <div style={{ width: '100%', height: 260 }} data-testid="home-chart">
          <ResponsiveContainer>
            <ComposedChart data={chart} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#ececf3" />
              <XAxis dataKey="label" tickLine={false} axisLine={false} />
              <YAxis yAxisId="money" tickLine={false} axisLine={false} width={70} tickFormatter={(v: number) => money(Math.round(v * scale), true)} />
              <YAxis yAxisId="count" orientation="right" allowDecimals={false} tickLine={false} axisLine={false} width={30} />
              <Tooltip
                formatter={(v, name) =>
                  name === 'revenue' ? [money(Math.round(Number(v) * scale)), t('home.today.revenue')] : [String(v), t('home.today.sales')]
                }
                labelStyle={{ fontWeight: 600 }}
              />
              <Bar yAxisId="money" dataKey="revenue" fill="#5b47e0" radius={[6, 6, 0, 0]} maxBarSize={42} isAnimationActive={false} />
              <Line yAxisId="count" dataKey="sales" stroke="#13c2c2" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      ) : (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={
            <>
              <Typography.Text strong>{t('home.noData')}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{t('home.noData.text')}</Typography.Text>
            </>
          }
        />
      )}
    </Card>
  );
}

interface Counts {
  locations: Location[];
  terminals?: Terminal[];
  staff?: Staff[];
}

function StatCard({ title, value, suffix, icon, testId }: { title: string; value: number; suffix?: string; icon: ReactNode; testId: string }) {
  return (
    <Card className="stat-card" data-testid={testId}>
      <Statistic
        title={title}
        value={value}
        suffix={
          suffix ? (
            <span className="muted" style={{ fontSize: 14 }}>
              {suffix}
            </span>
          ) : undefined
        }
        prefix={icon}
      />
    </Card>
  );
}

/** The business at a glance: its counts, the first steps still to do, and where guest activity will show. */
export function HomePage() {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const navigate = useNavigate();
  const isAdmin = allows(ROLE_SETS.admins, staff.role);

  const { data, error, loading, reload } = useLoad<Counts>(
    async (signal) => {
      const [locations, terminals, team] = await Promise.all([
        http.get<Items<Location>>('/v1/admin/locations', { signal }),
        isAdmin ? http.get<Items<Terminal>>('/v1/admin/terminals', { signal }) : undefined,
        isAdmin ? http.get<Items<Staff>>('/v1/admin/staff', { signal }) : undefined,
      ]);
      return { locations: locations.items, terminals: terminals?.items, staff: team?.items };
    },
    [isAdmin],
  );
  // One summary call every member may make (a cashier may not page through sales or guests).
  const marketing = allows(ROLE_SETS.marketing, staff.role);
  const summary = useLoad((signal) => loadSummary(business.timezone, signal), [business.timezone]);

  const header = (
    <PageHeader title={t('home.hello', { name: staff.name })} intro={t('home.subtitle', { business: business.name, role: t(`role.${staff.role}`) })} />
  );
  if (error)
    return (
      <>
        {header}
        <ErrorState error={error} onRetry={reload} />
      </>
    );

  const activeLocations = data?.locations.filter((l) => l.active).length ?? 0;
  const activeTerminals = data?.terminals?.filter((x) => !x.revokedAt).length ?? 0;
  const activeStaff = data?.staff?.filter((s) => s.active).length ?? 0;

  const steps: { key: string; title: MessageKey; text: MessageKey; done: boolean; to: string; icon: ReactNode }[] = isAdmin
    ? [
        {
          key: 'location',
          title: 'home.step.location',
          text: 'home.step.location.text',
          done: activeLocations > 0,
          to: '/settings/locations',
          icon: <EnvironmentOutlined />,
        },
        {
          key: 'terminal',
          title: 'home.step.terminal',
          text: 'home.step.terminal.text',
          done: activeTerminals > 0,
          to: '/settings/terminals',
          icon: <KeyOutlined />,
        },
        {
          key: 'staff',
          title: 'home.step.staff',
          text: 'home.step.staff.text',
          done: (data?.staff?.length ?? 0) > 1,
          to: '/settings/staff',
          icon: <TeamOutlined />,
        },
      ]
    : [];

  return (
    <>
      {header}
      {marketing ? <EngagementNotices /> : null}
      {marketing ? (
        <div style={{ marginBottom: 16 }}>
          <Working />
        </div>
      ) : null}
      <div style={{ marginBottom: 16 }}>
        <Today summary={summary.data} loading={summary.loading} />
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={8}>
          {loading && !data ? (
            <Card>
              <Skeleton active paragraph={{ rows: 1 }} />
            </Card>
          ) : (
            <StatCard
              testId="stat-locations"
              title={t('home.locations')}
              value={activeLocations}
              suffix={data && data.locations.length !== activeLocations ? t('home.ofTotal', { total: data.locations.length }) : undefined}
              icon={<EnvironmentOutlined className="muted" />}
            />
          )}
        </Col>
        {isAdmin ? (
          <>
            <Col xs={24} md={8}>
              {loading && !data ? (
                <Card>
                  <Skeleton active paragraph={{ rows: 1 }} />
                </Card>
              ) : (
                <StatCard
                  testId="stat-terminals"
                  title={t('home.terminals')}
                  value={activeTerminals}
                  suffix={data?.terminals && data.terminals.length !== activeTerminals ? t('home.ofTotal', { total: data.terminals.length }) : undefined}
                  icon={<KeyOutlined className="muted" />}
                />
              )}
            </Col>
            <Col xs={24} md={8}>
              {loading && !data ? (
                <Card>
                  <Skeleton active paragraph={{ rows: 1 }} />
                </Card>
              ) : (
                <StatCard testId="stat-staff" title={t('home.staff')} value={activeStaff} icon={<TeamOutlined className="muted" />} />
              )}
            </Col>
          </>
        ) : null}
      </Row>

      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          {steps.length ? (
            <Card title={t('home.start')} style={{ marginBottom: 16 }}>
              <List
                dataSource={steps}
                renderItem={(s) => (
                  <List.Item
                    key={s.key}
                    actions={[
                      s.done ? (
                        <Typography.Text type="success" key="done">
                          <CheckCircleFilled /> {t('home.step.done')}
                        </Typography.Text>
                      ) : (
                        <Button key="open" size="small" onClick={() => navigate(s.to)}>
                          {t('home.step.open')}
                        </Button>
                      ),
                    ]}
                  >
                    <List.Item.Meta
                      avatar={
                        <span className="muted" style={{ fontSize: 20 }}>
                          {s.icon}
                        </span>
                      }
                      title={t(s.title)}
                      description={t(s.text)}
                    />
                  </List.Item>
                )}
              />
            </Card>
          ) : null}
          {summary.error ? <ErrorState error={summary.error} onRetry={summary.reload} /> : null}
        </Col>
        <Col xs={24} lg={10}>
          <div style={{ marginBottom: 16 }}>
            <ScannerCard />
          </div>
          <Card title={t('home.business')}>
            <Descriptions column={1} size="small" colon={false} styles={{ label: { width: 150 } }}>
              <Descriptions.Item label={t('common.name')}>{business.name}</Descriptions.Item>
              <Descriptions.Item label={t('home.currency')}>{business.currency}</Descriptions.Item>
              <Descriptions.Item label={t('home.timezone')}>{zoneLabel(business.timezone, lang)}</Descriptions.Item>
              <Descriptions.Item label={t('home.locale')}>{business.locale === 'en' ? t('lang.en') : t('lang.ru')}</Descriptions.Item>
              <Descriptions.Item label={t('home.since')}>{formatDate(business.createdAt, lang, business.timezone)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
      </Row>
    </>
  );
}
