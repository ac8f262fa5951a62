import { useNavigate } from 'react-router-dom';
import { Button, Card, Col, Dropdown, Empty, Flex, Row, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { GiftOutlined, PercentageOutlined, PlusOutlined, StarOutlined, TagOutlined, TrophyOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import type { Translate } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDate } from '../app/format';
import { KindTag, useMoney, usePrograms } from '../app/domain';
import { PROGRAM_KINDS } from '../app/types';
import type { Program } from '../app/types';

const KIND_ICON = { bonus: <TrophyOutlined />, discount: <PercentageOutlined />, stamp: <StarOutlined />, coupon: <TagOutlined />, gift: <GiftOutlined /> };

/** One line that says what a program gives. */
function summary(p: Program, t: Translate, money: (n: number) => string): string {
  const r = p.rules as Record<string, unknown>;
  switch (p.kind) {
    case 'bonus':
      return t('programs.sum.bonus', { accrual: String(r.accrualPercent), cap: String(r.maxRedeemPercent) });
    case 'discount':
      return t('programs.sum.discount', { percent: String(r.discountPercent) });
    case 'gift':
      return t('programs.sum.gift', { nominals: ((r.nominalsMinor as number[]) ?? []).map(money).join(', ') });
    case 'coupon': {
      const d = r.discount as { type: string; percent?: number; amountMinor?: number };
      return d.type === 'percent'
        ? t('programs.sum.couponPercent', { percent: String(d.percent) })
        : d.type === 'fixed'
          ? t('programs.sum.couponFixed', { amount: money(d.amountMinor ?? 0) })
          : t('programs.sum.couponItem');
    }
    case 'stamp':
      return t('programs.sum.stamp', { n: Number(r.stampsRequired) });
  }
}

/** Mechanics: the programs (card templates) of the five kinds, and a way to create one. */
export function ProgramsPage() {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const navigate = useNavigate();
  const money = useMoney();
  const canEdit = allows(ROLE_SETS.marketing, staff.role);
  const { data, error, loading, reload } = usePrograms();
  const newMenu = {
    items: PROGRAM_KINDS.map((k) => ({
      key: k,
      icon: KIND_ICON[k],
      label: (
        <Flex vertical style={{ maxWidth: 320 }}>
          <span>{t(`kind.${k}`)}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'normal' }}>
            {t(`kind.${k}.help`)}
          </Typography.Text>
        </Flex>
      ),
    })),
    onClick: ({ key }: { key: string }) => navigate(`/mechanics/new/${key}`),
  };

  const columns: TableColumnsType<Program> = [
    { title: t('programs.name'), key: 'name', render: (_, p) => <a onClick={() => navigate(`/mechanics/${p.id}`)}>{p.name}</a> },
    { title: t('programs.kind'), dataIndex: 'kind', key: 'kind', render: (k: string) => <KindTag kind={k} /> },
    { title: t('programs.rules'), key: 'summary', render: (_, p) => summary(p, t, money) },
    {
      title: t('programs.levels'),
      key: 'levels',
      render: (_, p) => (p.levels.length ? p.levels.map((l) => l.name).join(' → ') : <span className="muted">—</span>),
    },
    {
      title: t('common.status'),
      dataIndex: 'active',
      key: 'active',
      render: (a: boolean) => (a ? <Tag color="green">{t('programs.on')}</Tag> : <Tag>{t('programs.off')}</Tag>),
    },
    { title: t('common.created'), dataIndex: 'createdAt', key: 'created', render: (v: string) => formatDate(v, lang, business.timezone) },
  ];

  return (
    <>
      <PageHeader
        title={t('programs.title')}
        intro={t('programs.intro')}
        extra={
          canEdit ? (
            <Dropdown menu={newMenu} trigger={['click']}>
              <Button type="primary" icon={<PlusOutlined />} data-testid="program-new">
                {t('programs.add')}
              </Button>
            </Dropdown>
          ) : undefined
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : data && data.length === 0 && canEdit ? (
        <Card>
          <Empty description={t('programs.empty')} />
          <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
            {PROGRAM_KINDS.map((k) => (
              <Col xs={24} md={12} lg={8} key={k}>
                <Card hoverable size="small" onClick={() => navigate(`/mechanics/new/${k}`)}>
                  <Card.Meta
                    avatar={<span style={{ fontSize: 22, color: '#5b47e0' }}>{KIND_ICON[k]}</span>}
                    title={t(`kind.${k}`)}
                    description={t(`kind.${k}.help`)}
                  />
                </Card>
              </Col>
            ))}
          </Row>
        </Card>
      ) : (
        <Card>
          <Table<Program>
            rowKey="id"
            columns={columns}
            dataSource={data ?? []}
            loading={loading}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            onRow={(p) => ({ onClick: () => navigate(`/mechanics/${p.id}`), style: { cursor: 'pointer' } })}
            locale={{ emptyText: t('programs.empty') }}
            data-testid="programs-table"
          />
        </Card>
      )}
    </>
  );
}
