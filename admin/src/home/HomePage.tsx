import { ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button, Card, Col, Descriptions, Empty, List, Row, Skeleton, Statistic, Typography } from 'antd';
import { CheckCircleFilled, EnvironmentOutlined, KeyOutlined, TeamOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDate } from '../app/format';
import type { Items, Location, Staff, Terminal } from '../app/types';
import type { MessageKey } from '../app/messages';

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
          <Card>
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
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={t('home.business')}>
            <Descriptions column={1} size="small" colon={false} styles={{ label: { width: 150 } }}>
              <Descriptions.Item label={t('common.name')}>{business.name}</Descriptions.Item>
              <Descriptions.Item label={t('home.currency')}>{business.currency}</Descriptions.Item>
              <Descriptions.Item label={t('home.timezone')}>{business.timezone}</Descriptions.Item>
              <Descriptions.Item label={t('home.locale')}>{business.locale === 'en' ? t('lang.en') : t('lang.ru')}</Descriptions.Item>
              <Descriptions.Item label={t('home.since')}>{formatDate(business.createdAt, lang, business.timezone)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
      </Row>
    </>
  );
}
